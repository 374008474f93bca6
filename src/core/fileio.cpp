#include "churn/core/fileio.hpp"

#include <dirent.h>    // opendir, readdir, closedir
#include <fcntl.h>     // open, O_TMPFILE, O_CREAT, O_EXCL, O_CLOEXEC, AT_FDCWD, AT_SYMLINK_FOLLOW
#include <sys/file.h>  // flock
#include <sys/stat.h>  // stat, lstat, fstat, fchmod
#include <unistd.h>    // linkat, unlink, fsync, fchown, close, access, getpid

#include <cerrno>   // errno
#include <cstdio>   // std::fdopen, std::fread, std::fwrite, std::fflush, std::fclose, std::rename
#include <cstdlib>  // std::getenv
#include <cstring>  // std::strerror
#include <filesystem>  // std::filesystem::path, read_symlink
#include <random>      // std::random_device (temporary file names only)
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

namespace {

namespace fs = std::filesystem;

constexpr int kMaxLinks = 40;                // as the kernel's limit for a path
constexpr std::size_t kMaxNamePrefix = 200;  // bytes of the target's name kept in a temporary name
constexpr std::size_t kHexDigits = 16;
constexpr const char* kSuffix = ".tmp";

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// `path` with symbolic links of its last component followed (a chain of them too).
std::string follow_links(const std::string& path) {
  fs::path p = path;
  for (int hops = 0;; ++hops) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p.string();
    CHURN_CHECK(hops < kMaxLinks, IOError,
                "cannot write '" << path << "': too many levels of symbolic links");
    std::error_code ec;
    const fs::path link = fs::read_symlink(p, ec);
    CHURN_CHECK(!ec, IOError,
                "cannot write '" << path << "': cannot read the link '" << p.string()
                                 << "': " << ec.message());
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
}

std::string random_hex() {
  static thread_local std::random_device rd;
  std::uint64_t x = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  x ^= static_cast<std::uint64_t>(::getpid()) << 17;
  std::string out(kHexDigits, '0');
  for (std::size_t i = 0; i < kHexDigits; ++i, x >>= 4) out[i] = "0123456789abcdef"[x & 15];
  return out;
}

bool is_temporary_name(const std::string& name, const std::string& prefix) {
  const std::size_t suffix = std::char_traits<char>::length(kSuffix);
  if (name.size() != prefix.size() + kHexDigits + suffix) return false;
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  if (name.compare(prefix.size() + kHexDigits, suffix, kSuffix) != 0) return false;
  for (std::size_t i = prefix.size(); i < prefix.size() + kHexDigits; ++i) {
    const char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool same_file(int fd, const std::string& name) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::stat(name.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

// Removes the temporary files of this target left by writers that are gone (killed while
// writing on a filesystem without O_TMPFILE): a live writer holds its file's lock.
void remove_stale_temporaries(const std::string& folder, const std::string& prefix) {
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (!is_temporary_name(name, prefix)) continue;
    const std::string full = (fs::path(folder) / name).string();
    int fd = ::open(full.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) continue;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::flock(fd, LOCK_EX | LOCK_NB) == 0 &&
        same_file(fd, full))
      ::unlink(full.c_str());
    ::close(fd);
  }
  ::closedir(dir);
}

bool unnamed_temporaries_allowed() {
  const char* no = std::getenv("CHURN_ATOMIC_NO_TMPFILE");
  if (no != nullptr && *no != '\0' && std::string_view(no) != "0") return false;
  return ::access("/proc/self/fd", X_OK) == 0;  // linkat needs /proc/self/fd/N
}

void sync_folder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  CHURN_CHECK(!path_.empty(), IOError, "cannot write a file with an empty path");
  target_ = follow_links(path_);
  struct stat st {};
  const bool exists = ::stat(target_.c_str(), &st) == 0;
  const int stat_err = exists ? 0 : errno;
  CHURN_CHECK(exists || stat_err == ENOENT, IOError,
              "cannot write '" << path_ << "': " << std::strerror(stat_err));
  CHURN_CHECK(!exists || S_ISREG(st.st_mode), IOError,
              "cannot write '" << path_ << "': it is " << kind_of(st.st_mode)
                               << ", not a regular file (only regular files are replaced)");
  const fs::path target(target_);
  folder_ = target.has_parent_path() ? target.parent_path().string() : std::string(".");
  prefix_ = "." + target.filename().string().substr(0, kMaxNamePrefix) + ".";
  remove_stale_temporaries(folder_, prefix_);
  open_temporary();
  if (exists) {  // keep the target's owner (where allowed) and mode, before any data goes in
    if (st.st_uid != ::geteuid() || st.st_gid != ::getegid()) {
      if (::fchown(fd_, st.st_uid, st.st_gid) != 0 &&
          ::fchown(fd_, static_cast<uid_t>(-1), st.st_gid) != 0) {
        // not allowed to give the file away (not root, not in its group): it stays ours
      }
    }
    if (::fchmod(fd_, st.st_mode & 07777) != 0) {
      const int err = errno;
      discard();
      CHURN_THROW(IOError, "cannot write '" << path_ << "': cannot keep its permissions: "
                                            << std::strerror(err));
    }
  }
  file_ = ::fdopen(fd_, "wb");
  if (file_ == nullptr) {
    const int err = errno;
    discard();
    CHURN_THROW(IOError, "cannot write '" << path_ << "': " << std::strerror(err));
  }
}

void AtomicFile::open_temporary() {
#ifdef O_TMPFILE
  if (unnamed_temporaries_allowed()) {
    fd_ = ::open(folder_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_EX);  // held until closed, so a cleaner never takes it once named
      return;
    }
    // no O_TMPFILE on this filesystem (EOPNOTSUPP, EISDIR, EINVAL): a named temporary file;
    // any other trouble is reported by that attempt
  }
#endif
  int err = EEXIST;
  for (int attempt = 0; attempt < 32; ++attempt) {
    tmp_path_ = (fs::path(folder_) / (prefix_ + random_hex() + kSuffix)).string();
    fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) {
      err = errno;
      if (err == EEXIST || err == EINTR) continue;
      break;
    }
    // locked and still under its name: otherwise a cleaner took it in between; try another
    const bool locked = ::flock(fd_, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK;
    if (locked && same_file(fd_, tmp_path_)) return;
    ::close(fd_);
    fd_ = -1;
  }
  tmp_path_.clear();
  CHURN_THROW(IOError, "cannot write '" << path_ << "': cannot create a temporary file in '"
                                        << folder_ << "': " << std::strerror(err));
}

AtomicFile::~AtomicFile() {
  discard();
}

void AtomicFile::discard() noexcept {
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());  // while still locked
  tmp_path_.clear();
  if (file_ != nullptr) {
    std::fclose(file_);
  } else if (fd_ >= 0) {
    ::close(fd_);
  }
  file_ = nullptr;
  fd_ = -1;
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
  auto fail = [&](const char* what, int err) {
    discard();
    CHURN_THROW(IOError, what << " '" << path_ << "': " << std::strerror(err));
  };
  if (std::fflush(file_) != 0 || ::fsync(fd_) != 0) fail("error while writing", errno);
  if (tmp_path_.empty()) {  // unnamed: give it a name only now that it is complete
    const std::string proc = "/proc/self/fd/" + std::to_string(fd_);
    int err = EEXIST;
    for (int attempt = 0; attempt < 32 && err == EEXIST; ++attempt) {
      const std::string name = (fs::path(folder_) / (prefix_ + random_hex() + kSuffix)).string();
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        tmp_path_ = name;
        err = 0;
      } else {
        err = errno;
      }
    }
    if (err != 0) fail("cannot name the temporary file of", err);
  }
  if (std::rename(tmp_path_.c_str(), target_.c_str()) != 0) fail("cannot rename onto", errno);
  tmp_path_.clear();
  const bool closed = std::fclose(file_) == 0;  // releases the lock
  file_ = nullptr;
  fd_ = -1;
  CHURN_CHECK(closed, IOError, "error while closing '" << path_ << "': " << std::strerror(errno));
  sync_folder(folder_);
}

}  // namespace churn
