#include "common/json.hpp"

#include <cmath>     // std::isnan, std::isinf
#include <cstdio>    // std::remove, std::rename
#include <fstream>   // std::ifstream, std::ofstream
#include <iterator>  // std::istreambuf_iterator
#include <limits>    // std::numeric_limits
#include <sstream>   // std::ostringstream
#include <string>    // std::string, std::stoi

#include "churn/core/error.hpp"
#include "churn/core/fileio.hpp"

namespace churn::common {

std::size_t json_depth_exceeded_at(std::string_view text, int max_depth) {
  const char* s = text.data();
  const std::size_t n = text.size();
  int depth = 0;
  for (std::size_t i = 0; i < n; ++i) {
    switch (s[i]) {
      case '"':  // a string: skip to its closing quote (escapes skip the next byte)
        for (++i; i < n && s[i] != '"'; ++i)
          if (s[i] == '\\') ++i;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return i;
        break;
      case ']':
      case '}': --depth; break;
      default: break;
    }
  }
  return std::string_view::npos;
}

Json make_envelope(std::string_view kind, Json params, Json state) {
  Json doc = Json::object();
  doc["format"] = kEnvelopeFormat;
  doc["version"] = std::to_string(kEnvelopeMajor) + "." + std::to_string(kEnvelopeMinor);
  doc["kind"] = std::string(kind);
  doc["params"] = std::move(params);
  doc["state"] = std::move(state);
  return doc;
}

std::string check_envelope_header(const Json& doc, std::string_view where) {
  CHURN_CHECK(
      doc.is_object(), SerializationError,
      where << ": not a churnlib file (expected a JSON object, found " << doc.type_name() << ")");
  const auto format = json_get<std::string>(doc, "format", where);
  CHURN_CHECK(format == kEnvelopeFormat, SerializationError,
              where << ": not a churnlib file (format '" << format << "')");
  const auto version = json_get<std::string>(doc, "version", where);
  const auto dot = version.find('.');
  int major = -1;
  try {
    std::size_t used = 0;
    major = std::stoi(version.substr(0, dot), &used);
    if (used != (dot == std::string::npos ? version.size() : dot)) major = -1;
  } catch (const std::exception&) {
    major = -1;
  }
  CHURN_CHECK(major >= 0, SerializationError, where << ": malformed version '" << version << "'");
  CHURN_CHECK(major <= kEnvelopeMajor, SerializationError,
              where << ": file format version " << version << " is newer than this churnlib reads ("
                    << kEnvelopeMajor << ".x); upgrade churnlib");
  return json_get<std::string>(doc, "kind", where);
}

const Json& open_envelope(const Json& doc, std::string_view kind) {
  const std::string where = "load(" + std::string(kind) + ")";
  const auto found_kind = check_envelope_header(doc, where);
  CHURN_CHECK(found_kind == kind, SerializationError,
              where << ": the file holds a '" << found_kind << "', not a '" << kind << "'");
  CHURN_CHECK(doc.contains("params") && doc["params"].is_object(), SerializationError,
              where << ": missing or malformed 'params'");
  CHURN_CHECK(doc.contains("state") && doc["state"].is_object(), SerializationError,
              where << ": missing or malformed 'state'");
  return doc;
}

void json_check_members(const Json& obj, std::initializer_list<const char*> allowed,
                        std::string_view where) {
  CHURN_CHECK(obj.is_object(), SerializationError, where << ": expected a JSON object");
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    CHURN_CHECK(known, SerializationError,
                where << ": unknown member '" << it.key()
                      << "' (written by a newer churnlib, or the file is damaged)");
  }
}

Json json_from_doubles(const std::vector<double>& v) {
  Json a = Json::array();
  for (double x : v) a.push_back(json_from_double(x));
  return a;
}

std::vector<double> json_get_doubles(const Json& obj, const char* key, std::string_view where) {
  const Json a = json_get<Json>(obj, key, where);
  CHURN_CHECK(a.is_array(), SerializationError, where << ": field '" << key << "' must be a list");
  std::vector<double> out;
  out.reserve(a.size());
  const std::string w = std::string(where) + "." + key;
  for (const auto& v : a) out.push_back(json_to_double(v, w));
  return out;
}

Json json_from_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

double json_to_double(const Json& v, std::string_view where) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  }
  CHURN_THROW(SerializationError, where << ": expected a number (or \"inf\", \"-inf\", \"nan\")");
}

}  // namespace churn::common
