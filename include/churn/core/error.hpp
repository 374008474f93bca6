#pragma once
/// @file error.hpp
/// The churnlib exception hierarchy and the one check macro that raises it.
///
/// Every error churnlib reports is a `churn::Error`. Python sees each subclass as a
/// `ValueError` or `TypeError` subclass carrying the same message.

#include <sstream>    // std::ostringstream (message building in CHURN_CHECK)
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string

namespace churn {

/// Base of every exception churnlib throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An argument has a value outside its allowed range or is inconsistent with another one
/// (Python: `churnlib.InvalidArgument`, a `ValueError`).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// An argument or column has the wrong type (Python: `churnlib.TypeMismatch`, a `TypeError`).
class TypeMismatch : public Error {
 public:
  using Error::Error;
};

/// An estimator or transformer was used before `fit` (Python: `churnlib.NotFittedError`,
/// a `ValueError` and `AttributeError`, as in scikit-learn).
class NotFittedError : public Error {
 public:
  using Error::Error;
};

/// A table does not satisfy its data contract (Python: `churnlib.SchemaError`, a `ValueError`).
class SchemaError : public Error {
 public:
  using Error::Error;
};

/// Text input (CSV) could not be parsed; the message names the file, line, column and text
/// (Python: `churnlib.ParseError`, a `ValueError`).
class ParseError : public Error {
 public:
  using Error::Error;
};

/// A saved object (JSON envelope) is damaged, of another kind or of a newer format
/// (Python: `churnlib.SerializationError`, a `ValueError`).
class SerializationError : public Error {
 public:
  using Error::Error;
};

/// A file could not be opened, read, written or renamed (Python: `churnlib.IOError`, an
/// `OSError` and `ValueError`).
class IOError : public Error {
 public:
  using Error::Error;
};

}  // namespace churn

/// Throws `ExcType` (a `churn::Error` subclass) with a streamed message when `cond` is false.
///
/// The message names the caller, the argument and the value, e.g.
/// @code
/// CHURN_CHECK(n_bins >= 2, churn::InvalidArgument,
///             "psi(): bins must be >= 2, got " << n_bins);
/// @endcode
#define CHURN_CHECK(cond, ExcType, msg)         \
  do {                                          \
    if (!(cond)) {                              \
      std::ostringstream churn_check_stream_;   \
      churn_check_stream_ << msg; /* NOLINT */  \
      throw ExcType(churn_check_stream_.str()); \
    }                                           \
  } while (false)

/// Throws `ExcType` with a streamed message unconditionally.
#define CHURN_THROW(ExcType, msg) CHURN_CHECK(false, ExcType, msg)
