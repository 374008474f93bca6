// Stages, version specs and model names of the registry (include/churn/model/registry.hpp).
#include <cctype>       // std::isdigit
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "churn/core/error.hpp"
#include "churn/model/registry.hpp"
#include "common/enum_names.hpp"

namespace churn::model {

namespace {

constexpr common::EnumName<Stage> kStageNames[] = {{Stage::none, "none"},
                                                   {Stage::staging, "staging"},
                                                   {Stage::production, "production"},
                                                   {Stage::archived, "archived"}};

constexpr std::size_t kMaxNameLength = 128;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

}  // namespace

const char* stage_name(Stage s) {
  return common::enum_name(kStageNames, s);
}

Stage stage_from_name(std::string_view name, std::string_view caller) {
  return common::enum_from_name(kStageNames, name, caller, "stage");
}

VersionSpec::VersionSpec(int version) : kind(Kind::number), number(version) {
  CHURN_CHECK(version >= 1, InvalidArgument,
              "ModelRegistry: version must be >= 1 (versions start at 1), got " << version);
}

VersionSpec::VersionSpec(Stage s) : kind(Kind::stage), stage(s) {}

VersionSpec::VersionSpec(std::string_view text) {
  if (text == "latest") return;
  if (const Stage* s = common::enum_find(kStageNames, text)) {
    kind = Kind::stage;
    stage = *s;
    return;
  }
  bool digits = !text.empty() && text.size() <= 9;  // 9 digits always fit an int
  for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c)) != 0;
  CHURN_CHECK(digits, InvalidArgument,
              "ModelRegistry: version must be 'latest', a version number >= 1 or a stage ('none', "
              "'staging', 'production', 'archived'), got '"
                  << text << "'");
  *this = VersionSpec(std::stoi(std::string(text)));
}

std::string VersionSpec::to_string() const {
  switch (kind) {
    case Kind::number: return std::to_string(number);
    case Kind::stage: return stage_name(stage);
    case Kind::latest: break;
  }
  return "latest";
}

void ModelRegistry::check_name(const std::string& name, std::string_view caller) {
  bool ok = !name.empty() && name.size() <= kMaxNameLength && name.front() != '.';
  for (char c : name) ok = ok && is_name_char(c);
  CHURN_CHECK(ok, InvalidArgument,
              caller << ": model name must be 1 to " << kMaxNameLength
                     << " letters, digits, '_', '-' or '.', not starting with '.', got '" << name
                     << "'");
  CHURN_CHECK(name.rfind("registry.json", 0) != 0, InvalidArgument,
              caller << ": model name '" << name
                     << "' is reserved (names starting with 'registry.json' would clash with "
                        "the index)");
}

}  // namespace churn::model
