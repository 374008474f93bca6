// Bindings of include/churn/core: the exception hierarchy, version and build information.
#include <cstring>           // std::strlen
#include <initializer_list>  // std::initializer_list
#include <string>            // std::string

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "churn/version.hpp"

namespace churn::python {

namespace {

// The Python exception classes. They live as long as the process (one strong reference each,
// never released), so the translator can use them without the module.
PyObject* g_error = nullptr;
PyObject* g_invalid_argument = nullptr;
PyObject* g_type_mismatch = nullptr;
PyObject* g_not_fitted = nullptr;
PyObject* g_schema_error = nullptr;
PyObject* g_parse_error = nullptr;
PyObject* g_serialization_error = nullptr;
PyObject* g_io_error = nullptr;
PyObject* g_interrupted = nullptr;

/// Creates the class churnlib.<name> with the given bases and adds it to `m`.
PyObject* add_exception(py::module_& m, const char* name, const char* doc,
                        std::initializer_list<PyObject*> bases) {
  py::tuple b(bases.size());
  std::size_t i = 0;
  for (PyObject* base : bases) b[i++] = py::handle(base);
  const std::string qualified = std::string("churnlib.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, b.ptr(), /*dict=*/nullptr);
  if (cls == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(cls));
  return cls;
}

/// Raises `cls` with `message` decoded as UTF-8 with replacement: a message quoting bytes of a
/// Latin-1 file (a CSV field, a file name) keeps its class, line and column instead of
/// becoming a UnicodeDecodeError (PyErr_SetString decodes strictly).
void set_error(PyObject* cls, const char* message) {
  PyObject* text =
      PyUnicode_DecodeUTF8(message, static_cast<Py_ssize_t>(std::strlen(message)), "replace");
  if (text == nullptr) return;  // MemoryError is set
  PyErr_SetObject(cls, text);
  Py_DECREF(text);
}

void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const InvalidArgument& e) {
    set_error(g_invalid_argument, e.what());
  } catch (const TypeMismatch& e) {
    set_error(g_type_mismatch, e.what());
  } catch (const NotFittedError& e) {
    set_error(g_not_fitted, e.what());
  } catch (const SchemaError& e) {
    set_error(g_schema_error, e.what());
  } catch (const ParseError& e) {
    set_error(g_parse_error, e.what());
  } catch (const SerializationError& e) {
    set_error(g_serialization_error, e.what());
  } catch (const IOError& e) {
    set_error(g_io_error, e.what());
  } catch (const Interrupted& e) {
    set_error(g_interrupted, e.what());
  } catch (const Error& e) {
    set_error(g_error, e.what());
  }
}

/// Throws the C++ exception named `kind` (tests use it to check the translation).
[[noreturn]] void raise_cpp_error(const std::string& kind, const std::string& message) {
  if (kind == "Error") throw Error(message);
  if (kind == "InvalidArgument") throw InvalidArgument(message);
  if (kind == "TypeMismatch") throw TypeMismatch(message);
  if (kind == "NotFittedError") throw NotFittedError(message);
  if (kind == "SchemaError") throw SchemaError(message);
  if (kind == "ParseError") throw ParseError(message);
  if (kind == "SerializationError") throw SerializationError(message);
  if (kind == "IOError") throw IOError(message);
  if (kind == "Interrupted") throw Interrupted(message);
  CHURN_THROW(InvalidArgument, "_raise_cpp_error(): unknown kind '" << kind << "'");
}

}  // namespace

void bind_core(py::module_& m) {
  g_error =
      add_exception(m, "Error", "Base class of every error churnlib raises.", {PyExc_Exception});
  g_invalid_argument =
      add_exception(m, "InvalidArgument",
                    "An argument is outside its allowed range or inconsistent with another one.",
                    {g_error, PyExc_ValueError});
  g_type_mismatch = add_exception(m, "TypeMismatch", "An argument or column has the wrong type.",
                                  {g_error, PyExc_TypeError});
  // NotFittedError is a ValueError and an AttributeError, as scikit-learn's. Its second base
  // is a plain placeholder class of the same layout, so that churnlib.errors can swap in
  // sklearn.exceptions.NotFittedError (then `except sklearn.exceptions.NotFittedError` catches
  // ours) once scikit-learn is imported, without importing scikit-learn here: `import
  // churnlib` and the `churn` command line start without it (about 1-2 s of start-up).
  // The reference is kept for the life of the process, as the classes above.
  PyObject* not_fitted_base = PyErr_NewExceptionWithDoc(
      "churnlib._core._NotFittedBase",
      "Placeholder base of NotFittedError until scikit-learn's NotFittedError replaces it.",
      py::make_tuple(py::handle(PyExc_ValueError), py::handle(PyExc_AttributeError)).ptr(),
      /*dict=*/nullptr);
  if (not_fitted_base == nullptr) throw py::error_already_set();
  m.add_object("_NotFittedBase", py::handle(not_fitted_base));
  g_not_fitted =
      add_exception(m, "NotFittedError", "An estimator or transformer was used before fit().",
                    {g_error, not_fitted_base});
  g_schema_error =
      add_exception(m, "SchemaError", "A table does not satisfy its data contract (Schema).",
                    {g_error, PyExc_ValueError});
  g_parse_error = add_exception(
      m, "ParseError",
      "Text input (CSV) could not be parsed; the message names the file, line and column.",
      {g_error, PyExc_ValueError});
  g_serialization_error =
      add_exception(m, "SerializationError",
                    "A saved object (JSON) is damaged, of another kind or of a newer format.",
                    {g_error, PyExc_ValueError});
  g_io_error = add_exception(m, "IOError", "A file could not be opened, read, written or renamed.",
                             {g_error, PyExc_OSError, PyExc_ValueError});
  g_interrupted = add_exception(
      m, "Interrupted",
      "A long call was stopped by a C++ host's stop callback (churn::StopScope). Ctrl-C in "
      "Python raises KeyboardInterrupt instead.",
      {g_error});
  py::register_exception_translator(&translate);

  m.attr("__version__") = version_string;
  m.def("has_openmp", &has_openmp, R"doc(
True when churnlib was built with OpenMP (parallel loops use several threads).

Returns
-------
bool
)doc");
  m.def("_raise_cpp_error", &raise_cpp_error, py::arg("kind"), py::arg("message"),
        "Throws the C++ exception churn::<kind> (for tests of the error translation).");
}

}  // namespace churn::python
