#pragma once
/// @file registry_lock.hpp
/// The registry writers' exclusive lock on `<root>/.lock` (private, never installed).

#include <string>  // std::string

namespace churn::model::detail {

/// An exclusive advisory `flock` on a file, held from construction to destruction. Each object
/// opens the file itself, so two objects exclude each other whether they live in one process
/// (two threads) or in two. The lock file is created if missing and never removed.
///
/// Thread safety: one thread per object.
class FileLock {
 public:
  /// Opens (creating) `path` and blocks until the exclusive lock is granted.
  /// @throws IOError naming the path if it cannot be opened or locked.
  explicit FileLock(const std::string& path);
  /// Unlocks and closes.
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace churn::model::detail
