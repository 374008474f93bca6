#include "churn/core/fileio.hpp"

#include <cerrno>   // errno
#include <cstdio>   // std::fopen, std::fread, std::fwrite, std::rename, std::remove
#include <cstring>  // std::strerror
#include <random>   // std::random_device (temporary file names only)
#include <string>

#include "churn/core/error.hpp"
#include "common/file_read.hpp"

namespace churn {

std::string read_file(const std::string& path) {
  // a regular file only: a directory, FIFO or device is refused (common/file_read.hpp)
  const common::FilePtr f = common::open_regular_file(path, "");
  std::string out;
  char buf[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buf, 1, sizeof buf, f.get())) > 0) out.append(buf, got);
  CHURN_CHECK(std::ferror(f.get()) == 0, IOError, "error while reading '" << path << "'");
  return out;
}

void write_file_atomic(const std::string& path, std::string_view content) {
  AtomicFile out(path);
  out.write(content);
  out.commit();
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  CHURN_CHECK(!path_.empty(), IOError, "cannot write a file with an empty path");
  std::random_device rd;
  for (int attempt = 0; attempt < 16 && file_ == nullptr; ++attempt) {
    tmp_path_ = path_ + ".tmp" + std::to_string(rd() % 1000000000u);
    file_ = std::fopen(tmp_path_.c_str(), "wbx");
  }
  CHURN_CHECK(file_ != nullptr, IOError,
              "cannot write '" << path_ << "': " << std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  discard();
}

void AtomicFile::discard() noexcept {
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
    std::remove(tmp_path_.c_str());
  }
}

void AtomicFile::write(std::string_view bytes) {
  CHURN_CHECK(file_ != nullptr, IOError, "write to '" << path_ << "' after commit");
  if (bytes.empty()) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    const int err = errno;
    discard();
    CHURN_THROW(IOError, "error while writing '" << path_ << "': " << std::strerror(err));
  }
}

void AtomicFile::commit() {
  CHURN_CHECK(file_ != nullptr, IOError, "'" << path_ << "' was already committed");
  const bool flushed = std::fflush(file_) == 0;
  const int err = errno;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) {
    std::remove(tmp_path_.c_str());
    CHURN_THROW(IOError, "error while writing '" << path_ << "': " << std::strerror(err));
  }
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    const int rerr = errno;
    std::remove(tmp_path_.c_str());
    CHURN_THROW(IOError, "cannot rename onto '" << path_ << "': " << std::strerror(rerr));
  }
}

}  // namespace churn
