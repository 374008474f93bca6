#pragma once
/// @file fileio.hpp
/// File helpers: whole-file reads and atomic writes (temporary file + rename).

#include <cstdio>  // std::FILE
#include <string>  // std::string
#include <string_view>

namespace churn {

/// Reads a whole regular file into a string.
/// @throws IOError naming the path and the reason if it cannot be opened or read, or if it is
///         not a regular file (a directory, a FIFO, a device: never read, so /dev/zero cannot
///         fill the memory and a FIFO cannot block).
std::string read_file(const std::string& path);

/// Writes `content` to `path` atomically (see AtomicFile).
/// @throws IOError if it cannot be written.
void write_file_atomic(const std::string& path, std::string_view content);

/// A file written under a temporary name beside `path` and renamed onto `path` by `commit()`.
/// If the object is destroyed without `commit()` (an exception, say), the temporary file is
/// removed and `path` is left untouched: a failure never leaves a half-written output.
/// @code
/// churn::AtomicFile out("scores.csv");
/// out.write("id,score\n");
/// out.commit();
/// @endcode
///
/// Thread safety: one thread per object.
class AtomicFile {
 public:
  /// Opens a temporary file in the folder of `path`.
  /// @throws IOError if it cannot be created.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends bytes. @throws IOError on a write error (disk full, ...).
  void write(std::string_view bytes);
  /// Flushes, closes and renames the temporary file onto the target path.
  /// @throws IOError if any of these fail (the temporary file is then removed).
  void commit();
  /// The target path.
  const std::string& path() const { return path_; }

 private:
  void discard() noexcept;
  std::string path_;
  std::string tmp_path_;
  std::FILE* file_ = nullptr;
};

}  // namespace churn
