"""autodiff-lab: watch automatic differentiation happen."""

from . import core, math, ops, rules, symbolic
from .array_trace import ArrayGraph, label_array, trace_arrays
from .display.array_graph import array_mimebundle, draw_array_graph
from .display.compare import compare_methods
from .display.duality import duality_view
from .display.graph import draw_graph, mimebundle
from .display.matmul_paths import matmul_paths
from .display.paths import draw_path, paths
from .extend import defjvp, defvjp, primitive
from .forward import Dual
from .functional import (
    derivative,
    elementwise_grad,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)
from .numeric import check_grad, numerical_derivative
from .reverse import AnomalyError, Value, detect_anomaly, no_grad
from .trace import Trace, TraceRow, trace

# The engine draws nothing itself: the drawing code registers how each kind is shown.
core.register_view(Value, mimebundle=mimebundle)
core.register_view(ArrayGraph, draw=draw_array_graph, mimebundle=array_mimebundle)

__all__ = [
    "AnomalyError",
    "ArrayGraph",
    "Dual",
    "Trace",
    "TraceRow",
    "Value",
    "check_grad",
    "compare_methods",
    "defjvp",
    "defvjp",
    "derivative",
    "detect_anomaly",
    "draw_array_graph",
    "draw_graph",
    "draw_path",
    "duality_view",
    "elementwise_grad",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "label_array",
    "math",
    "matmul_paths",
    "no_grad",
    "numerical_derivative",
    "ops",
    "paths",
    "primitive",
    "rules",
    "symbolic",
    "trace",
    "trace_arrays",
    "value_and_grad",
    "vjp",
]
__version__ = "0.1.0"
