"""Shown in a grading sandbox in place of another autodiff library: importing it fails."""

raise ModuleNotFoundError(
    "this library is hidden from graded notebooks: the grader's sandbox shows no autodiff "
    "library but what the exercise builds on"
)
