"""The fixed cases of `wengert_list`, with the numbers expected: written by
exercises/build_sources.py from the exercise's definition. Do not edit."""

# ruff: noqa: E501

CASES = r"""
{
  "primal_trace": [
    ["primal", [3.0, -2.0], [-6.0, -8.0, -24.0], []],
    ["primal", [-1.0, 0.5], [-0.5, 0.0, -0.0], []],
    ["primal", [0.0, 9.0], [0.0, 9.0, 0.0], []]
  ],
  "tangent_trace": [
    ["tangent", {"x": [3.0, -2.0], "dx": [1.0, 0.0], "primal": [-6.0, -8.0, -24.0]}, [-2.0, -2.0, -14.0], []],
    ["tangent", {"x": [3.0, -2.0], "dx": [0.0, 1.0], "primal": [-6.0, -8.0, -24.0]}, [3.0, 4.0, 12.0], []],
    ["tangent", {"x": [-1.5, 2.5], "dx": [0.6, -0.8], "primal": [-3.75, -1.25, 1.875]}, [2.7, 1.9000000000000001, -3.6], []]
  ],
  "adjoint_trace": [
    ["adjoint", {"x": [3.0, -2.0], "primal": [-6.0, -8.0, -24.0]}, [1.0, 3.0, 3.0, -14.0, 12.0], [["x1 is read by v1 and v3, so its adjoint sums two paths: x1_bar = v3_bar · v2 + v1_bar · x2.", [1.0, 3.0, 3.0, -6.0, 12.0]], ["x1 is read by v1 and v3, so its adjoint sums two paths: x1_bar = v3_bar · v2 + v1_bar · x2.", [1.0, 3.0, 3.0, -8.0, 12.0]], ["x2 is read by v1 and v2, so its adjoint sums two paths: x2_bar = v2_bar · 1 + v1_bar · x1.", [1.0, 3.0, 3.0, -14.0, 9.0]], ["x2 is read by v1 and v2, so its adjoint sums two paths: x2_bar = v2_bar · 1 + v1_bar · x1.", [1.0, 3.0, 3.0, -14.0, 3.0]], ["v3 = v2 · x1: v2_bar = v3_bar · x1, the other factor.", [1.0, -8.0, -8.0, 8.0, -32.0]]]],
    ["adjoint", {"x": [0.25, -3.0], "primal": [-0.75, -3.75, -0.9375]}, [1.0, 0.25, 0.25, -4.5, 0.3125], [["x1 is read by v1 and v3, so its adjoint sums two paths: x1_bar = v3_bar · v2 + v1_bar · x2.", [1.0, 0.25, 0.25, -0.75, 0.3125]], ["x1 is read by v1 and v3, so its adjoint sums two paths: x1_bar = v3_bar · v2 + v1_bar · x2.", [1.0, 0.25, 0.25, -3.75, 0.3125]], ["x2 is read by v1 and v2, so its adjoint sums two paths: x2_bar = v2_bar · 1 + v1_bar · x1.", [1.0, 0.25, 0.25, -4.5, 0.0625]], ["x2 is read by v1 and v2, so its adjoint sums two paths: x2_bar = v2_bar · 1 + v1_bar · x1.", [1.0, 0.25, 0.25, -4.5, 0.25]], ["v3 = v2 · x1: v2_bar = v3_bar · x1, the other factor.", [1.0, -3.75, -3.75, 7.5, -4.6875]]]]
  ]
}
"""
