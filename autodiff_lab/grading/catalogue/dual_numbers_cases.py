"""The fixed cases of `dual_numbers`, with the numbers expected: written by
exercises/build_sources.py from the exercise's definition. Do not edit."""

# ruff: noqa: E501

CASES = r"""
{
  "dual_arithmetic": [
    ["program", {"program": [["leaf", 3.0], ["mul", 0, 0], ["addc", 1, 1.0]], "tangent": 1.0, "text": "x * x + 1"}, [10.0, 6.0], []],
    ["program", {"program": [["leaf", 3.0], ["addc", 0, -1.0], ["addc", 0, 1.0], ["div", 1, 2]], "tangent": 1.0, "text": "(x - 1) / (x + 1)"}, [0.5, 0.125], []],
    ["program", {"program": [["leaf", 3.0], ["rmul", 2.0, 0], ["addc", 1, -5.0]], "tangent": 1.0, "text": "2 * x - 5"}, [1.0, 2.0], []],
    ["program", {"program": [["leaf", 3.0], ["radd", 1.0, 0], ["mul", 0, 1]], "tangent": 1.0, "text": "x * (1 + x)"}, [12.0, 7.0], []],
    ["program", {"program": [["leaf", 2.0], ["rsub", 5.0, 0]], "tangent": 1.0, "text": "5 - x"}, [3.0, -1.0], []],
    ["program", {"program": [["leaf", 4.0], ["rdiv", 1.0, 0]], "tangent": 1.0, "text": "1 / x"}, [0.25, -0.0625], []],
    ["program", {"program": [["leaf", 3.0], ["neg", 0]], "tangent": 2.0, "text": "-x"}, [-3.0, -2.0], []]
  ],
  "dual_functions": [
    ["functions", {"functions": ["sin"], "primal": 2.25, "tangent": 3.0}, [0.7780731968879212, -1.8845208681682175], []],
    ["functions", {"functions": ["exp"], "primal": 1.0, "tangent": 2.0}, [2.718281828459045, 5.43656365691809], []],
    ["functions", {"functions": ["sin", "exp"], "primal": 0.3, "tangent": 1.0}, [1.3438252437316534, 1.2838052903449595], []],
    ["functions", {"functions": ["sin"], "primal": 0.7, "tangent": null}, [0.644217687237691], []]
  ],
  "dual_derivative": [
    ["derivative", {"x": 3.0, "returns": [10.0, 6.0]}, [6.0, 3.0, 1.0], []],
    ["derivative", {"x": 2.0, "returns": null}, [0.0, 2.0, 1.0], []]
  ]
}
"""
