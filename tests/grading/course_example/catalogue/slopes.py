"""Kernel side of `slopes`: run the student's slope functions at some points.

This file is shown to students (it travels in the notebook): it never computes
a right answer.
"""

from autodiff_lab.grading.cases import Measure, Part

ENGINE = ()  # the sandbox shows no engine: the slopes are written by hand
EXPORTS = {}


def _at(function_name):
    def run(namespace, points):
        return [namespace[function_name](x) for x in points]

    return run


def _where(function_name):
    return lambda points: f"{function_name} at x = {', '.join(f'{x:g}' for x in points)}"


def _labels(function_name):
    return lambda points: tuple(f"{function_name}({x:g})" for x in points)


PARTS = [
    Part(
        "square_slope",
        "square_tests",
        "the slope of x²",
        ("square_slope",),
        {"square": Measure(_at("square_slope"), _where("square_slope"), _labels("square_slope"))},
    ),
    Part(
        "cube_slope",
        "cube_tests",
        "the slope of x³",
        ("cube_slope",),
        {"cube": Measure(_at("cube_slope"), _where("cube_slope"), _labels("cube_slope"))},
    ),
]
