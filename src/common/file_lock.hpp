#pragma once
/// @file file_lock.hpp
/// An exclusive advisory `flock` held for a scope (private, never installed): the model
/// registry's writers lock `<root>/.lock`, the retention alert log's appenders lock the log.

#include <string>       // std::string
#include <string_view>  // std::string_view

namespace churn::common {

/// An exclusive advisory `flock` on a file, held from construction to destruction. Each object
/// opens the file itself, so two objects exclude each other whether they live in one process
/// (two threads) or in two. The file is created if missing (mode 0644) and never removed.
/// `flock` is advisory and local: it excludes only other lockers, on a local file system.
///
/// Thread safety: one thread per object.
class FileLock {
 public:
  /// Opens (creating) `path` read-write, with `extra_flags` added to the open flags (e.g.
  /// `O_APPEND` for a caller that writes through fd()), and blocks until the exclusive lock is
  /// granted. `caller` starts the error messages.
  /// @throws IOError naming the caller and the path if it cannot be opened or locked.
  FileLock(const std::string& path, std::string_view caller, int extra_flags = 0);
  /// Unlocks and closes.
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  /// The open, locked file descriptor (valid until destruction; do not close it).
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace churn::common
