"""Grader side of `slopes`: the right slopes, and the points the grader draws."""


def reference(measure, points):
    if measure == "square":
        return [2 * x for x in points]
    return [3 * x * x for x in points]


def mistakes(measure, points):
    if measure == "cube":
        return [("the power rule: d/dx x³ = 3x², not 3x.", [3 * x for x in points])]
    return []


def sample(grade_id, rng):
    points = [round(rng.uniform(-4, 4), 3) for _ in range(3)]
    return [("square" if grade_id == "square_tests" else "cube", points)]
