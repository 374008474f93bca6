#pragma once
/// @file fileio.hpp
/// File helpers: whole-file reads and atomic writes (an unnamed temporary file renamed into
/// place only when complete).

#include <cstdio>  // std::FILE
#include <string>  // std::string
#include <string_view>

namespace churn {

/// Reads a whole regular file into a string.
/// @throws IOError naming the path and the reason if it cannot be opened or read, or if it is
///         not a regular file (a directory, a FIFO, a device: never read, so /dev/zero cannot
///         fill the memory and a FIFO cannot block).
std::string read_file(const std::string& path);

/// Writes `content` to `path` atomically (see AtomicFile for the rules: permissions, symbolic
/// links, FIFOs and devices).
/// @throws IOError if it cannot be written.
void write_file_atomic(const std::string& path, std::string_view content);

/// A file written beside `path` and renamed onto `path` by `commit()`: readers see the old file
/// or the whole new one, never a part.
///
/// The rules (the same in Python's writers, `churnlib._atomic`):
/// - **Nothing partial.** On Linux the data goes into an unnamed temporary file (`O_TMPFILE`)
///   in the target's folder; only after everything was written and flushed to disk (`fsync`)
///   is it given a name (`.<name>.<16 hex digits>.tmp`) and renamed onto the target. A process
///   killed while writing leaves nothing behind. Where the filesystem has no `O_TMPFILE` (NFS,
///   some container overlays) a named temporary file of that pattern is written instead; it is
///   locked (`flock`) while in use, and the next write of the same target removes any such
///   file whose writer is gone (a killed process). If the object is destroyed without
///   `commit()` (an exception, say), its temporary file is removed and `path` is left as it was.
/// - **Permissions.** A new file gets the usual mode (0666 less the umask). An existing target
///   keeps its mode (0600 stays 0600) and, where the process may set them, its owner and group.
/// - **Regular files only.** A target that exists and is not a regular file (a directory, a
///   FIFO, a device such as /dev/null, a socket) is refused with IOError; it is never opened.
/// - **Symbolic links are followed.** When `path` is a symbolic link (or a chain of them), the
///   file it points to is replaced and the link stays as it is; a dangling link creates the file
///   it names. The temporary file is made in the folder of that final file.
///
/// Hard links are not kept: the target's name gets a new file (other names keep the old data).
/// For tests, `CHURN_ATOMIC_NO_TMPFILE=1` in the environment forces the named-temporary path.
/// @code
/// churn::AtomicFile out("scores.csv");
/// out.write("id,score\n");
/// out.commit();
/// @endcode
///
/// Thread safety: one thread per object.
class AtomicFile {
 public:
  /// Checks the target and opens a temporary file in its folder.
  /// @throws IOError if `path` is empty, names something other than a regular file, or the
  ///         temporary file cannot be created (the system's reason).
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends bytes. @throws IOError on a write error (disk full, ...).
  void write(std::string_view bytes);
  /// Flushes to disk, names the temporary file and renames it onto the target.
  /// @throws IOError if any of these fail (the temporary file is then removed).
  void commit();
  /// The target path (as given).
  const std::string& path() const { return path_; }

 private:
  void open_temporary();
  void discard() noexcept;
  std::string path_;      // as given
  std::string target_;    // the file that is replaced (symbolic links followed)
  std::string folder_;    // the folder of target_
  std::string prefix_;    // ".<name>." : the start of this target's temporary names
  std::string tmp_path_;  // the temporary file's name (empty while it is unnamed)
  std::FILE* file_ = nullptr;
  int fd_ = -1;
};

}  // namespace churn
