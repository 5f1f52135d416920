"""The fixed cases of `wengert_list`, with the numbers expected: written by
exercises/build_sources.py from the exercise's definition. Do not edit."""

# ruff: noqa: E501

CASES = r"""
{
  "primal_trace": [
    ["primal", [2.0, 3.0], [5.0, 6.0, 30.0], []],
    ["primal", [-1.0, 0.5], [-0.5, -0.5, 0.25], []],
    ["primal", [0.0, 9.0], [9.0, 0.0, 0.0], []]
  ],
  "tangent_trace": [
    ["tangent", {"x": [2.0, 3.0], "dx": [1.0, 0.0], "primal": [5.0, 6.0, 30.0]}, [1.0, 3.0, 21.0], []],
    ["tangent", {"x": [2.0, 3.0], "dx": [0.0, 1.0], "primal": [5.0, 6.0, 30.0]}, [1.0, 2.0, 16.0], []],
    ["tangent", {"x": [-1.5, 2.5], "dx": [0.6, -0.8], "primal": [1.0, -3.75, -3.75]}, [-0.20000000000000007, 2.7, 3.45], []]
  ],
  "adjoint_trace": [
    ["adjoint", {"x": [2.0, 3.0], "primal": [5.0, 6.0, 30.0]}, [1.0, 5.0, 6.0, 21.0, 16.0], []],
    ["adjoint", {"x": [0.25, -3.0], "primal": [-2.75, -0.75, 2.0625]}, [1.0, -2.75, -0.75, 7.5, -1.4375], []]
  ]
}
"""
