// AlertLog: the JSON-lines file of alerts (locked appends in one write, a reader that skips
// torn lines).
#include "churn/retention/alerts.hpp"

#include <fcntl.h>     // O_APPEND
#include <sys/stat.h>  // fstat, struct stat
#include <unistd.h>    // write, pread, fsync

#include <cerrno>       // errno, EINTR, ENOENT
#include <cstring>      // std::strerror
#include <filesystem>   // std::filesystem::exists
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move

#include "churn/core/error.hpp"
#include "churn/core/fileio.hpp"
#include "common/file_lock.hpp"
#include "common/json.hpp"
#include "retention/alerts_impl.hpp"

namespace churn::retention {

namespace {

constexpr const char* kAppend = "AlertLog::append()";

/// Whether the file behind `fd` is empty or ends in a newline.
bool ends_in_newline(int fd, const std::string& path) {
  struct stat st {};
  CHURN_CHECK(::fstat(fd, &st) == 0, IOError,
              kAppend << ": cannot stat '" << path << "': " << std::strerror(errno));
  if (st.st_size == 0) return true;
  char last = 0;
  ssize_t got = 0;
  do {
    got = ::pread(fd, &last, 1, st.st_size - 1);
  } while (got < 0 && errno == EINTR);
  CHURN_CHECK(got == 1, IOError,
              kAppend << ": cannot read the end of '" << path
                      << "': " << (got < 0 ? std::strerror(errno) : "short read"));
  return last == '\n';
}

/// Writes all of `bytes` (one write(2) unless the kernel takes less: then the rest follows).
void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t put = ::write(fd, bytes.data(), bytes.size());
    if (put < 0 && errno == EINTR) continue;
    CHURN_CHECK(put > 0, IOError,
                kAppend << ": cannot write to '" << path
                        << "': " << (put < 0 ? std::strerror(errno) : "nothing written"));
    bytes.remove_prefix(static_cast<std::size_t>(put));
  }
}

/// Checks what the reader needs to read an alert back.
void check_writable(const Alert& a, std::size_t i) {
  CHURN_CHECK(!a.id.empty(), InvalidArgument, kAppend << ": alert " << i << " has an empty id");
  CHURN_CHECK(!a.kind.empty(), InvalidArgument,
              kAppend << ": alert " << i << " (id " << a.id << ") has an empty kind");
  CHURN_CHECK(a.timestamp != kNaT, InvalidArgument,
              kAppend << ": alert " << i << " (id " << a.id << ") has a NaT timestamp");
}

/// The alert of one complete line, if it is one.
bool parse_line(std::string_view line, Alert& out) {
  // a damaged line nested too deep is not an alert (and must not be built: see kMaxJsonDepth)
  if (common::json_depth_exceeded_at(line, kMaxJsonDepth) != std::string_view::npos) return false;
  const Json j = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return false;
  try {
    out = alert_from_json(j, "alert line");
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

namespace detail {

std::string alert_line(const Alert& a) {
  // invalid UTF-8 (an id read from a Latin-1 file) is replaced, never a reason to fail
  std::string line = alert_to_json(a).dump(-1, ' ', false, Json::error_handler_t::replace);
  line.push_back('\n');
  return line;
}

AlertLogContents parse_alert_lines(std::string_view text) {
  AlertLogContents out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      out.trailing_bytes = static_cast<Index>(text.size() - start);
      break;
    }
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    Alert a;
    if (parse_line(line, a))
      out.alerts.push_back(std::move(a));
    else
      ++out.skipped_lines;
  }
  return out;
}

}  // namespace detail

AlertLog::AlertLog(std::string path, bool fsync) : path_(std::move(path)), fsync_(fsync) {
  CHURN_CHECK(!path_.empty(), InvalidArgument, "AlertLog(): path must not be empty");
}

void AlertLog::append(const std::vector<Alert>& alerts) const {
  if (alerts.empty()) return;
  std::string bytes;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    check_writable(alerts[i], i);
    bytes += detail::alert_line(alerts[i]);
  }
  const common::FileLock lock(path_, kAppend, O_APPEND);
  // a writer that died mid-line left a fragment: end it, so it is a line of its own that
  // readers skip, rather than the start of our first record
  if (!ends_in_newline(lock.fd(), path_)) bytes.insert(bytes.begin(), '\n');
  write_all(lock.fd(), bytes, path_);
  if (fsync_) {
    CHURN_CHECK(::fsync(lock.fd()) == 0, IOError,
                kAppend << ": cannot fsync '" << path_ << "': " << std::strerror(errno));
  }
}

AlertLogContents AlertLog::read() const {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec) && !ec) return {};
  return detail::parse_alert_lines(read_file(path_));
}

data::Table AlertLog::read_table() const {
  return alerts_to_table(read().alerts);
}

}  // namespace churn::retention
