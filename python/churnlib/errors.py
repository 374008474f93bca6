"""The exceptions churnlib raises.

Every error is a :class:`Error`; each subclass is also the built-in exception a Python user
would expect, so ``except ValueError`` keeps working:

================== ============================================ ==========================
class              raised when                                  also a
================== ============================================ ==========================
InvalidArgument    an argument is out of range or inconsistent  ValueError
TypeMismatch       an argument or column has the wrong type     TypeError
NotFittedError     a model is used before ``fit``               ValueError, AttributeError
SchemaError        data breaks its Schema                       ValueError
ParseError         CSV text cannot be parsed                    ValueError
SerializationError a saved JSON object is damaged or too new    ValueError
IOError            a file cannot be read or written             OSError, ValueError
Interrupted        a C++ host's stop callback stopped a call    (only Error)
================== ============================================ ==========================

Ctrl-C during a long call (a fit, a CSV read, an event aggregation) raises the usual
``KeyboardInterrupt`` within about a second, and leaves the estimator as it was.

The classes are created by the compiled module, which translates each C++ exception
(``churn::InvalidArgument``, ...) into the class of the same name with the same message.
"""

from ._core import (
    Error,
    Interrupted,
    InvalidArgument,
    IOError,
    NotFittedError,
    ParseError,
    SchemaError,
    SerializationError,
    TypeMismatch,
)

__all__ = [
    "Error",
    "InvalidArgument",
    "TypeMismatch",
    "NotFittedError",
    "SchemaError",
    "ParseError",
    "SerializationError",
    "IOError",
    "Interrupted",
]
