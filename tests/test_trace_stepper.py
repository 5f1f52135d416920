"""TraceStepper: the Wengert list swept forward then in reverse, driven without a browser."""

import xml.etree.ElementTree as ET

import pytest

from autodiff_lab import Value
from autodiff_lab.steps import caption_number as format_number
from autodiff_lab.trace import trace
from autodiff_lab.widgets import BackwardStepper, TraceStepper, trace_steps


def f(x1, x2):
    return (x1 + x2) * (x1 * x2)


def square_graph():
    x = Value(2.0, label="x")
    return x * x


def table_rows(page: str) -> list[tuple[str, bool, list[str]]]:
    """(row name, highlighted?, [primal, tangent, adjoint] as shown) for each body row."""
    rows = []
    for tr in ET.fromstring(page).find("tbody"):
        cells = [cell.text for cell in tr]
        rows.append((cells[0], "trace-highlight" in tr.get("class").split(), cells[2:]))
    return rows


def highlighted(stepper: TraceStepper) -> list[str]:
    return [name for name, marked, _ in table_rows(stepper.table) if marked]


def test_one_step_per_row_in_each_sweep():
    stepper = TraceStepper(f, 2, 3)
    assert len(stepper.state) == 2 * 5
    assert (stepper.slider.max, stepper.play.max) == (9, 9)
    assert [step.sweep for step in stepper.state.steps] == ["forward"] * 5 + ["reverse"] * 5
    names = [step.row.name for step in stepper.state.steps]
    assert names == ["v-1", "v0", "v1", "v2", "v3", "v3", "v2", "v1", "v0", "v-1"]
    assert repr(stepper) == "<TraceStepper of f: step 0 of 9>"
    bundle = stepper._repr_mimebundle_()
    assert bundle["text/plain"] == "<TraceStepper of f: step 0 of 9>"
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == stepper.widget.model_id


def test_captions_carry_the_textbook_numbers():
    stepper = TraceStepper(f, 2, 3)
    assert stepper.caption == "v-1 = x1 = 2.0;  tangent 1.0, set by the seed"
    stepper.go(4)  # the output row, end of the forward sweep
    # f = 30 and ∂f/∂x1 = x2·(2·x1 + x2) = 21 at (2, 3)
    assert stepper.caption == "v3 = v1 * v2 = 30.0;  tangent 21.0"
    assert "Forward sweep: step 4 of 9" in stepper.picture_html.caption
    stepper.next()
    assert stepper.caption.startswith("adjoint of v3 = ∂v3/∂v3 = 1.0")
    assert "Reverse sweep: step 5 of 9" in stepper.picture_html.caption
    stepper.go(7)
    assert stepper.caption == "adjoint of v1 = ∂v3/∂v1 = 6.0, from v3, the only row that uses it"
    stepper.go(8)  # ∂f/∂x2 = x1·(x1 + 2·x2) = 16
    assert stepper.caption.startswith("adjoint of v0 = ∂v3/∂v0 = 16.0, summed over")
    assert stepper.caption.endswith("v1, v2")
    stepper.go(9)
    assert stepper.caption.startswith("adjoint of v-1 = ∂v3/∂v-1 = 21.0")


def test_buttons_and_slider_move_the_highlighted_row():
    stepper = TraceStepper(f, 2, 3)
    assert highlighted(stepper) == ["v-1"]
    assert stepper.previous_button.disabled and not stepper.next_button.disabled
    stepper.previous_button.click()  # at the start: stays
    assert stepper.state.index == 0 and highlighted(stepper) == ["v-1"]

    stepper.next_button.click()
    assert stepper.slider.value == 1 and highlighted(stepper) == ["v0"]
    for _ in range(4):
        stepper.next_button.click()
    assert stepper.state.index == 5 and highlighted(stepper) == ["v3"]  # the reverse sweep
    stepper.previous_button.click()
    assert stepper.state.index == 4 and highlighted(stepper) == ["v3"]

    stepper.slider.value = 9
    assert highlighted(stepper) == ["v-1"] and stepper.next_button.disabled
    stepper.slider.set_state({"value": 7})  # as a message from the front end
    assert highlighted(stepper) == ["v1"]
    stepper.play.value = 2  # Play is linked to the slider
    assert highlighted(stepper) == ["v1"] and stepper.caption.startswith("v1 = ")
    assert stepper.table in stepper.table_html.value


def test_cells_fill_in_as_the_sweeps_go():
    stepper = TraceStepper(f, 2, 3)
    unknown = ["?", "?", "?"]
    assert [cells for *_, cells in table_rows(stepper.table)] == [
        ["2", "1", "?"],
        unknown,
        unknown,
        unknown,
        unknown,
    ]
    stepper.go(4)
    shown = table_rows(stepper.table)
    primals_and_tangents = [["2", "1"], ["3", "0"], ["5", "1"], ["6", "3"], ["30", "21"]]
    assert [cells[:2] for *_, cells in shown] == primals_and_tangents
    assert all(cells[2] == "?" for *_, cells in shown)
    stepper.go(6)
    assert [cells[2] for *_, cells in table_rows(stepper.table)] == ["?", "?", "?", "5", "1"]
    stepper.go(9)
    assert [cells[2] for *_, cells in table_rows(stepper.table)] == ["21", "16", "6", "5", "1"]
    assert "?" not in stepper.table


def reused_with_constants(x, y):
    square = x * x
    return (square.sin() * square + 3 / y).exp() - y * -0.5


@pytest.mark.parametrize(
    "function, inputs, seed", [(f, (2, 3), None), (reused_with_constants, (0.7, 1.3), (0.5, 2))]
)
def test_every_step_shows_exactly_what_its_sweep_has_computed(function, inputs, seed):
    wengert_list = trace(function, *inputs, seed=seed)
    rows = wengert_list.rows
    stepper = TraceStepper(wengert_list)
    everything = table_rows(wengert_list.to_html())
    n = len(rows)
    for index in range(2 * n):
        stepper.go(index)
        forward = index < n
        position = index if forward else 2 * n - 1 - index
        assert highlighted(stepper) == [rows[position].name]
        for row_index, ((_, _, cells), (_, _, numbers)) in enumerate(
            zip(table_rows(stepper.table), everything)
        ):
            primal_known = not forward or row_index <= position
            adjoint_known = not forward and row_index >= position
            known = (primal_known, primal_known, adjoint_known)
            # a known cell shows the trace's own number, an unknown one "?"
            assert cells == [number if shown else "?" for number, shown in zip(numbers, known)]
        number = rows[position].adjoint if not forward else rows[position].primal
        assert f"= {format_number(number)}" in stepper.caption
        if forward:
            assert f"tangent {format_number(rows[position].tangent)}" in stepper.caption
        else:  # every row that reads this one has been swept already: its adjoint is complete
            users = [i for i, row in enumerate(rows) if rows[position].name in row.arguments]
            assert all(user > position for user in users)
    assert stepper.table == wengert_list.to_html(highlight=0)  # the end: everything known


def test_a_trace_or_a_function_give_the_same_steps():
    from_function = TraceStepper(f, 2, 3, seed=(0, 1))
    from_trace = TraceStepper(trace(f, 2, 3, seed=(0, 1)))
    assert [s.caption for s in from_function.state.steps] == [
        s.caption for s in from_trace.state.steps
    ]
    from_function.go(4)
    assert from_function.caption.endswith("tangent 16.0")  # the seed picks ∂f/∂x2
    assert repr(from_trace) == "<TraceStepper of v3: step 0 of 9>"  # a Trace has no f
    assert repr(TraceStepper(lambda a, b: a * b, 1, 2)) == "<TraceStepper of v1: step 0 of 5>"
    assert [step.caption for step in trace_steps(from_trace.trace)] == [
        step.caption for step in from_trace.state.steps
    ]


def test_unused_input_and_identity_function():
    stepper = TraceStepper(lambda x, y: x.sin(), 0.0, 7.0)
    stepper.go(len(stepper.state) - 2)  # the reverse sweep reaches the unused y (row v0)
    assert stepper.caption == "adjoint of v0 = ∂v1/∂v0 = 0.0 (v1 does not use v0)"
    identity = TraceStepper(lambda x: x, 4.0)
    assert len(identity.state) == 2
    identity.next()
    assert identity.caption.startswith("adjoint of v0 = ∂v0/∂v0 = 1.0 (the output")


def test_controls_are_the_ones_the_graph_steppers_use():
    stepper = TraceStepper(f, 2, 3)
    graph_stepper = BackwardStepper(square_graph())
    for view in (stepper, graph_stepper):
        assert view.widget.children[0].children == (
            view.previous_button,
            view.next_button,
            view.play,
            view.slider,
        )
        assert "autodiff-next" in view.next_button._dom_classes
        assert "autodiff-stepper" in view.widget._dom_classes
    assert "autodiff-table" in stepper.table_html._dom_classes
    assert "autodiff-graph" in graph_stepper.graph_html._dom_classes


def test_bad_arguments_are_explained():
    with pytest.raises(TypeError, match="already holds its inputs"):
        TraceStepper(trace(f, 2, 3), 2)
    with pytest.raises(TypeError, match="needs a Trace or a function"):
        TraceStepper(3.0)
    with pytest.raises(TypeError, match="at least one input"):
        TraceStepper(f)
