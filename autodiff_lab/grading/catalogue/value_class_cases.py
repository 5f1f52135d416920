"""The fixed cases of `value_class`, with the numbers expected: written by
exercises/build_sources.py from the exercise's definition. Do not edit."""

# ruff: noqa: E501

CASES = r"""
{
  "exp": [
    ["exp", [1.0], [2.718281828459045, 2.718281828459045], []],
    ["exp", [-2.0], [0.1353352832366127, 0.1353352832366127], []],
    ["exp", [0.0], [1.0, 1.0], []]
  ],
  "tanh": [
    ["tanh", [0.5], [0.46211715726000974, 0.7864477329659274], []],
    ["tanh", [-2.0], [-0.9640275800758169, 0.07065082485316443], []],
    ["tanh", [0.0], [0.0, 1.0], []],
    ["tanh", [1000.0], [1.0, 0.0], []]
  ],
  "division": [
    ["divide", [3.0, 2.0], [1.5, 0.5, -0.75], []],
    ["divide_by_number", [3.0, 4.0], [0.75, 0.25], []],
    ["number_divided_by", [2.0, 4.0], [0.5, -0.125], []]
  ],
  "backward": [
    ["backward", {"program": [["leaf", 1.0], ["leaf", 0.0], ["mul", 0, 1]], "names": ["a", "b"], "text": "a * b"}, [0.0, 0.0, 1.0], []],
    ["backward", {"program": [["leaf", 2.2], ["leaf", -1.8], ["leaf", 0.1], ["add", 1, 2], ["mul", 0, 3]], "names": ["a", "b", "c"], "text": "a * (b + c)"}, [-3.74, -1.7, 2.2, 2.2], []],
    ["backward", {"program": [["leaf", 2.0], ["leaf", 3.0], ["mul", 0, 1], ["pow", 0, 2], ["add", 2, 3]], "names": ["x", "y"], "text": "x * y + x ** 2 (x is used twice)"}, [10.0, 7.0, 2.0], []],
    ["backward", {"program": [["leaf", 2.0], ["rsub", 5.0, 0]], "names": ["x"], "text": "5 - x"}, [3.0, -1.0], []],
    ["backward", {"program": [["leaf", 2.0], ["pow", 0, 2]], "names": ["x"], "text": "x ** 2", "calls": 2}, [4.0, 4.0, 8.0], []],
    ["backward", {"program": [["leaf", 2.0], ["mulc", 0, 3.0], ["pow", 1, 2]], "names": ["x", "t"], "text": "(3 * x) ** 2 with t = 3 * x an interior node", "calls": 2, "watch": [0, 1]}, [36.0, 36.0, 12.0, 72.0, 12.0], []],
    ["backward", {"program": [["leaf", 4.0]], "names": ["x"], "text": "backward() on a leaf x", "calls": 2}, [4.0, 1.0, 2.0], []],
    ["backward", {"program": [["leaf", 0.5], ["chain", 0, 1.0, 0.0, 3000]], "names": ["x"], "text": "a chain of 6000 operations (deeper than Python's recursion limit)"}, [0.5, 1.0], []]
  ]
}
"""
