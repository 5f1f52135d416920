"""Widgets that let a learner step through and play with differentiation.

``BackwardStepper`` and ``ForwardStepper`` walk a graph's passes one node at a
time, ``ArrayBackwardStepper`` an array graph's backward pass one VJP at a
time, ``TraceStepper`` sweeps a Wengert list one row at a time,
``TrainingStepper`` walks a training run snapshot by snapshot; ``Explorer``
ties sliders to a function's value, gradients and graph.
The state machines behind the steppers live in `autodiff_lab.steps` and
`autodiff_lab.training_steps` and need no ipywidgets.
Names load on first use, so importing this package stays cheap.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "ArrayBackwardStepper": ".array_stepper",
    "BackwardStepper": ".steppers",
    "ForwardStepper": ".steppers",
    "TraceStepper": ".steppers",
    "TrainingStepper": ".training",
    "record_training": "..training_steps",
    "Explorer": ".explorer",
    "Stepper": "..steps",
    "backward_steps": "..steps",
    "forward_steps": "..steps",
    "running_adjoint": "..steps",
    "trace_steps": "..steps",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
