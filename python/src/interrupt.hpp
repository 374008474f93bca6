#pragma once
/// @file interrupt.hpp
/// Long C++ calls from Python: the GIL released, Ctrl-C honoured.

#include <pybind11/pybind11.h>  // py::gil_scoped_release, py::error_already_set

#include <optional>  // std::optional
#include <utility>   // std::forward

#include "churn/core/stop.hpp"

namespace churn::python {

namespace py = pybind11;

/// Runs `f()` with the GIL released, inside a churn::StopScope whose callback (every ~25 ms
/// of a long call's polls) takes the GIL and runs Python's signal handlers
/// (`PyErr_CheckSignals`). When a handler raises (KeyboardInterrupt on Ctrl-C), the Python
/// exception is kept, the C++ call unwinds with churn::Interrupted, and the kept exception is
/// raised in its place: Python sees KeyboardInterrupt, not a churnlib error. A
/// churn::Interrupted from another StopScope (a C++ host's) propagates as it is
/// (churnlib.Interrupted). Exceptions thrown inside `f` propagate unchanged, Python ones from
/// callbacks included (pybind11 restores them). Call with the GIL held; `f` must not touch
/// Python objects without taking the GIL.
/// @code
/// .def("fit", [](Model& self, const RowMatrixRef& X) {
///   run_interruptible([&] { self.fit(X); });
///   return &self;
/// })
/// @endcode
template <class F>
decltype(auto) run_interruptible(F&& f) {
  std::optional<py::error_already_set> pending;  // the exception a signal handler raised
  auto check_signals = [&pending]() -> bool {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() == 0) return false;
    pending.emplace();  // fetches (and clears) the Python error
    return true;
  };
  try {
    py::gil_scoped_release release;
    StopScope scope(check_signals);
    return std::forward<F>(f)();
  } catch (const Interrupted&) {
    // the GIL is held again here (`release` was destroyed when the try block was left)
    if (pending) throw py::error_already_set(*pending);
    throw;
  }
}

}  // namespace churn::python
