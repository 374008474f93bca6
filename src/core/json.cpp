#include "churn/core/json.hpp"

#include <cmath>     // std::isnan, std::isinf
#include <cstdio>    // std::remove, std::rename
#include <fstream>   // std::ifstream, std::ofstream
#include <iterator>  // std::istreambuf_iterator
#include <limits>    // std::numeric_limits
#include <sstream>   // std::ostringstream
#include <string>    // std::string, std::stoi

#include "churn/core/error.hpp"
#include "churn/core/fileio.hpp"
#include "common/json.hpp"

namespace churn {

Json parse_json(std::string_view text, std::string_view what) {
  // Before parsing: a value nested this deep would overflow the stack when copied or destroyed.
  const std::size_t deep = common::json_depth_exceeded_at(text, kMaxJsonDepth);
  CHURN_CHECK(deep == std::string_view::npos, SerializationError,
              what << " is not a valid churnlib document: arrays and objects nest deeper than "
                   << kMaxJsonDepth << " levels (byte " << deep << ")");
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    CHURN_THROW(SerializationError,
                what << " is not valid JSON (byte " << e.byte << "): " << e.what());
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range for a number beyond double's range (1e999)
    CHURN_THROW(SerializationError, what << " is not valid JSON: " << e.what());
  }
}

void save_json_file(const Json& doc, const std::string& path, int indent) {
  const std::string text = doc.dump(indent, ' ', false, nlohmann::json::error_handler_t::strict);
  write_file_atomic(path, text);
}

Json load_json_file(const std::string& path) {
  return parse_json(read_file(path), "'" + path + "'");
}

}  // namespace churn
