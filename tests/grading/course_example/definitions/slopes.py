"""A tiny exercise of a course's own: the slopes of x² and x³."""

from autodiff_lab.grading.authoring import Mistake, test_cell
from autodiff_lab.grading.notebook_format import given, prompt, solution

NAME = "slopes"

SQUARE = '''
def square_slope(x):
    """The derivative of x**2 at x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
'''

CUBE = '''
def cube_slope(x):
    """The derivative of x**3 at x."""
    ### BEGIN SOLUTION
    return 3 * x ** 2
    ### END SOLUTION
'''

CASES = {
    "square_slope": [("square", [0.0, 1.5, -2.0])],
    "cube_slope": [("cube", [1.0, 2.0, -0.5])],
}

MISTAKES = {
    "cube: the power rule half done": Mistake(
        {"cube_answer": [("3 * x ** 2", "3 * x")]}, ("cube_slope",), ("power rule",)
    ),
}


def cells():
    return [
        prompt("# Slopes\n\nWrite the derivatives of x² and x³.", "intro"),
        given("from autodiff_lab.grading import check", "imports"),
        solution(SQUARE, "square_answer"),
        test_cell(NAME, "square_slope", points=1),
        solution(CUBE, "cube_answer"),
        test_cell(NAME, "cube_slope", points=2),
    ]
