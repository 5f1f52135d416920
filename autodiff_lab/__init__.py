"""autodiff-lab: watch automatic differentiation happen."""

from . import math, rules
from .forward import Dual, derivative
from .functional import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .numeric import check_grad, numerical_derivative
from .reverse import AnomalyError, Value, detect_anomaly, no_grad

__all__ = [
    "AnomalyError",
    "Dual",
    "Value",
    "check_grad",
    "derivative",
    "detect_anomaly",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "math",
    "no_grad",
    "numerical_derivative",
    "rules",
    "value_and_grad",
    "vjp",
]
__version__ = "0.1.0"
