#include "common/file_lock.hpp"

#include <fcntl.h>     // open, O_RDWR, O_CREAT, O_CLOEXEC
#include <sys/file.h>  // flock, LOCK_EX, LOCK_UN
#include <unistd.h>    // close

#include <cerrno>   // errno, EINTR
#include <cstring>  // std::strerror

#include "churn/core/error.hpp"

namespace churn::common {

FileLock::FileLock(const std::string& path, std::string_view caller, int extra_flags) {
  do {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | extra_flags, 0644);
  } while (fd_ < 0 && errno == EINTR);
  CHURN_CHECK(fd_ >= 0, IOError,
              caller << ": cannot open '" << path << "' to lock it: " << std::strerror(errno));
  int rc = 0;
  do {
    rc = ::flock(fd_, LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    CHURN_THROW(IOError, caller << ": cannot lock '" << path << "': " << std::strerror(err));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace churn::common
