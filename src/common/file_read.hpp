#pragma once
/// @file file_read.hpp
/// Opening files for reading (private, never installed): every reader of the library (CSV,
/// JSON files, the registry, the alert log) opens through open_regular_file(), so a directory,
/// a FIFO or a device is refused with a clear IOError instead of a bad_alloc, a read that never
/// ends (/dev/zero) or a hang (a FIFO without a writer). And gzip: compressed input is
/// recognised by its magic bytes and decompressed with zlib.

#include <cstddef>      // std::size_t
#include <cstdio>       // std::FILE
#include <memory>       // std::unique_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace churn::common {

/// Closes a FILE*.
struct FileCloser {
  void operator()(std::FILE* f) const;
};
/// An open FILE*, closed when it goes.
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// Opens `path` for binary reading. Only regular files (or symbolic links to one) are read.
/// @throws IOError naming `caller` (when not empty) and the path: it cannot be opened (the system's
/// reason), or
///         it is a directory, a FIFO, a device or a socket.
FilePtr open_regular_file(const std::string& path, std::string_view caller);

/// Whether `bytes` starts with gzip's magic bytes (1f 8b).
bool is_gzip(std::string_view bytes);

/// Decompresses gzip data (every member of a concatenated file) into a string.
/// @throws IOError naming `caller` and `source` for damaged or truncated data.
std::string gunzip(std::string_view data, std::string_view caller, std::string_view source);

/// Streams the decompressed bytes of a gzip file (all members) in pieces.
///
/// Thread safety: one thread per object.
class GzipReader {
 public:
  /// Reads compressed bytes from `file` (from its current position; not owned).
  GzipReader(std::FILE* file, std::string caller, std::string source);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  /// Up to `n` decompressed bytes into `out`; fewer only at the end of the data (0 then).
  /// @throws IOError for damaged or truncated data, or a read error.
  std::size_t read(char* out, std::size_t n);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace churn::common
