#pragma once
/// @file params.hpp
/// One list of fields per parameter struct, read and written by these visitors (never
/// installed). A struct's `.cpp` spells each field once, in a `visit_params(p, f)` function
/// that calls `f(name, field)`, `f(name, field, name_of, parse)` for an enum, or
/// `f(name, field, codec)` for a field whose JSON form is not a plain value (see Codec below);
/// `to_json`, `from_json` (saved files), `to_options` / `from_options` (the Python binding's
/// keyword dict) are all derived from it, so a parameter is named in the struct, its
/// validate(), that one line and the Python signature (which a test checks against these
/// defaults).
///
/// A codec is a struct with
///   - `Json write(const T& field, ParamSource target) const` (a discarded Json omits the
///     member),
///   - `void read(const Json& v, T& field, std::string_view who, ParamSource source) const`,
///     throwing
///     InvalidArgument or TypeMismatch (turned into SerializationError for a saved file),
///   - `static constexpr bool optional`: a saved file may omit the member (the field keeps its
///     default).

#include <set>          // std::set
#include <sstream>      // std::ostringstream
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_same_v, std::is_integral_v
#include <vector>       // std::vector

#include "churn/core/error.hpp"
#include "common/json.hpp"

namespace churn::common {

/// Where a parameter object comes from, which decides what a missing or wrong member means.
enum class ParamSource {
  /// A saved file: every field is required; anything wrong is a SerializationError.
  File,
  /// Keyword arguments (Python): missing fields keep their defaults, an unknown name is an
  /// InvalidArgument, a value of the wrong JSON type a TypeMismatch.
  Options,
};

/// Writes every visited field into a JSON object (enums by name).
class ParamWriter {
 public:
  explicit ParamWriter(Json& out, ParamSource target = ParamSource::File)
      : out_(out), target_(target) {}
  template <class T>
  void operator()(const char* name, const T& field) {
    out_[name] = field;
  }
  template <class E, class NameOf, class Parse>
  void operator()(const char* name, const E& field, NameOf name_of, Parse /*parse*/) {
    out_[name] = std::string(name_of(field));
  }
  template <class T, class Codec>
  void operator()(const char* name, const T& field, const Codec& codec) {
    Json v = codec.write(field, target_);
    if (!v.is_discarded()) out_[name] = std::move(v);
  }

 private:
  Json& out_;
  ParamSource target_;
};

/// What a source may leave out or add beyond ParamSource's defaults.
struct ReadRules {
  /// A saved file: unknown members are a SerializationError (else ignored).
  bool strict_file = false;
  /// A saved file: missing members keep their defaults (else a SerializationError).
  bool file_defaults = false;
  /// Options: an unknown name is a TypeMismatch, as Python's unexpected keyword argument (else
  /// an InvalidArgument).
  bool unknown_option_type_error = false;
};

/// Reads every visited field from a JSON object (see ParamSource); call finish() afterwards.
class ParamReader {
 public:
  ParamReader(const Json& in, ParamSource source, std::string_view who, ReadRules rules = {})
      : in_(in), source_(source), who_(who), rules_(rules) {
    if (source_ == ParamSource::Options)
      CHURN_CHECK(in_.is_object(), TypeMismatch, who_ << ": parameters must be a JSON object");
    else
      CHURN_CHECK(in_.is_object(), SerializationError, who_ << ": 'params' must be an object");
  }

  template <class T>
  void operator()(const char* name, T& field) {
    const Json* v = member(name);
    if (v == nullptr) return;
    if (convert(*v, field)) return;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
      if (source_ == ParamSource::Options && v->is_number_integer())
        CHURN_THROW(InvalidArgument,
                    who_ << ": " << name << " = " << v->dump() << " is out of range");
    fail_type(name, *v, kind_of<T>());
  }

  template <class E, class NameOf, class Parse>
  void operator()(const char* name, E& field, NameOf /*name_of*/, Parse parse) {
    const Json* v = member(name);
    if (v == nullptr) return;
    if (!v->is_string()) fail_type(name, *v, "a string");
    try {
      field = parse(v->get<std::string>());
    } catch (const InvalidArgument& e) {
      if (source_ == ParamSource::Options) throw;
      CHURN_THROW(SerializationError, who_ << ": " << e.what());
    }
  }

  template <class T, class Codec>
  void operator()(const char* name, T& field, const Codec& codec) {
    const Json* v = member(name, Codec::optional);
    if (v == nullptr) return;
    try {
      codec.read(*v, field, source_);
    } catch (const InvalidArgument& e) {
      if (source_ == ParamSource::Options)
        CHURN_THROW(InvalidArgument, who_ << ": " << name << " " << e.what());
      CHURN_THROW(SerializationError, who_ << ": " << name << " " << e.what());
    } catch (const TypeMismatch& e) {
      if (source_ == ParamSource::Options)
        CHURN_THROW(TypeMismatch, who_ << ": " << name << " " << e.what());
      CHURN_THROW(SerializationError, who_ << ": " << name << " " << e.what());
    }
  }

  /// Rejects a member no field was read from, naming it: among options always
  /// (InvalidArgument, or TypeMismatch by the rules), in a saved file when the rules say strict
  /// (SerializationError: a newer churnlib or a damaged file).
  void finish() const {
    if (source_ != ParamSource::Options && !rules_.strict_file) return;
    for (auto it = in_.begin(); it != in_.end(); ++it) {
      if (seen_.count(it.key()) != 0) continue;
      if (source_ == ParamSource::Options && rules_.unknown_option_type_error)
        CHURN_THROW(TypeMismatch, who_ << ": got an unexpected argument '" << it.key() << "'");
      if (source_ == ParamSource::Options)
        CHURN_THROW(InvalidArgument, who_ << ": unknown parameter '" << it.key() << "'");
      CHURN_THROW(SerializationError,
                  who_ << ": unknown member '" << it.key()
                       << "' (written by a newer churnlib, or the file is damaged)");
    }
  }

 private:
  const Json* member(const char* name, bool optional = false) {
    seen_.insert(name);
    const auto it = in_.find(name);
    if (it == in_.end()) {
      CHURN_CHECK(optional || rules_.file_defaults || source_ == ParamSource::Options,
                  SerializationError, who_ << ": missing field '" << name << "'");
      return nullptr;
    }
    return &*it;
  }

  [[noreturn]] void fail_type(const char* name, const Json& v, const char* want) const {
    std::ostringstream msg;
    msg << who_ << ": " << name << " must be " << want << ", got " << v.dump();
    if (source_ == ParamSource::Options) throw TypeMismatch(msg.str());
    throw SerializationError(msg.str());
  }

  template <class T>
  struct is_vector : std::false_type {};
  template <class U>
  struct is_vector<std::vector<U>> : std::true_type {};

  template <class T>
  static const char* kind_of() {
    if constexpr (std::is_same_v<T, bool>) return "a bool";
    if constexpr (std::is_same_v<T, double>) return "a number";
    if constexpr (std::is_same_v<T, std::string>) return "a string";
    if constexpr (is_vector<T>::value) {
      if constexpr (std::is_same_v<typename T::value_type, std::string>) return "a list of strings";
      if constexpr (std::is_floating_point_v<typename T::value_type>) return "a list of numbers";
      return "a list of ints";
    }
    return "an int";
  }

  template <class T>
  static bool convert(const Json& v, T& out) {
    if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) return false;
      out = v.get<bool>();
      return true;
    } else if constexpr (std::is_same_v<T, double>) {
      if (!v.is_number()) return false;
      out = v.get<double>();
      return true;
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) return false;
      out = v.get<std::string>();
      return true;
    } else if constexpr (is_vector<T>::value) {
      if (!v.is_array()) return false;
      T items(v.size());
      for (std::size_t i = 0; i < v.size(); ++i)
        if (!convert(v[i], items[i])) return false;
      out = std::move(items);
      return true;
    } else {
      return json_int_value(v, out);
    }
  }

  const Json& in_;
  ParamSource source_;
  std::string who_;
  ReadRules rules_;
  std::set<std::string> seen_;
};

/// A parameter struct `P` read through `visit(p, reader)` (a lambda calling the struct's
/// visit_params) and validated: from keyword options, an invalid value is P::validate()'s
/// InvalidArgument; from a saved file, any problem is a SerializationError naming `who`.
template <class P, class Visit>
P read_params(const Json& j, ParamSource source, std::string_view who, Visit visit,
              ReadRules rules = {}) {
  P p;
  ParamReader reader(j, source, who, rules);
  visit(p, reader);
  reader.finish();
  if (source == ParamSource::Options) {
    p.validate();
    return p;
  }
  try {
    p.validate();
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, who << ": invalid parameters: " << e.what());
  }
  return p;
}

/// A parameter struct written through `visit(p, writer)`, as a saved file or keyword options.
template <class P, class Visit>
Json write_params(const P& p, ParamSource target, Visit visit) {
  Json j = Json::object();
  ParamWriter writer(j, target);
  visit(p, writer);
  return j;
}

/// A double that may be infinite or NaN: a saved file writes those as the strings "inf",
/// "-inf" and "nan" (json_from_double; JSON has no such numbers), keyword options as numbers.
struct DoubleCodec {
  static constexpr bool optional = false;
  Json write(double v, ParamSource target) const {
    return target == ParamSource::File ? json_from_double(v) : Json(v);
  }
  void read(const Json& v, double& out, ParamSource source) const {
    if (v.is_number()) {
      out = v.get<double>();
      return;
    }
    const bool text = source == ParamSource::File && v.is_string();
    const std::string s = text ? v.get<std::string>() : std::string();
    CHURN_CHECK(s == "inf" || s == "-inf" || s == "nan", TypeMismatch,
                "must be a number, got " << v.dump());
    out = json_to_double(v, "");
  }
};

}  // namespace churn::common
