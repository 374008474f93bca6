#include "common/file_read.hpp"

#include <zlib.h>  // inflate

#include <algorithm>  // std::min, std::max
#include <cerrno>     // errno
#include <cstring>    // std::strerror
#include <string>     // std::string, std::to_string
#include <utility>    // std::move
#include <vector>     // std::vector

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>     // open, fcntl, O_NONBLOCK
#include <sys/stat.h>  // fstat, S_ISREG
#include <unistd.h>    // close
#define CHURN_POSIX_FILES 1
#else
#define CHURN_POSIX_FILES 0
#endif

#include "churn/core/error.hpp"

namespace churn::common {

void FileCloser::operator()(std::FILE* f) const {
  if (f != nullptr) std::fclose(f);
}

namespace {

#if CHURN_POSIX_FILES
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}
#endif

}  // namespace

FilePtr open_regular_file(const std::string& path, std::string_view caller) {
  const std::string who = caller.empty() ? std::string() : std::string(caller) + ": ";
#if CHURN_POSIX_FILES
  // O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  CHURN_CHECK(fd >= 0, IOError, who << "cannot open '" << path << "': " << std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    CHURN_THROW(IOError, who << "cannot open '" << path << "': " << std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    CHURN_THROW(IOError, who << "cannot read '" << path << "': it is " << kind_of(st.st_mode)
                             << ", not a regular file");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::FILE* f = ::fdopen(fd, "rb");
  if (f == nullptr) {
    const int err = errno;
    ::close(fd);
    CHURN_THROW(IOError, who << "cannot open '" << path << "': " << std::strerror(err));
  }
  return FilePtr(f);
#else
  FilePtr f(std::fopen(path.c_str(), "rb"));
  CHURN_CHECK(f != nullptr, IOError,
              who << "cannot open '" << path << "': " << std::strerror(errno));
  return f;
#endif
}

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

// ------------------------------------------------------------------------------------------
// Decompression: one inflater fed from a FILE* or from memory
// ------------------------------------------------------------------------------------------

namespace {

class Inflater {
 public:
  Inflater(std::string_view caller, std::string_view source) : caller_(caller), source_(source) {
    // 16 + MAX_WBITS: gzip format only (its header and CRC are checked)
    CHURN_CHECK(inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK, IOError,
                caller_ << ": cannot start decompressing '" << source_ << "'");
  }
  ~Inflater() { inflateEnd(&z_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  /// Decompresses into [out, out + n) from the input `refill` hands over (a view that lives
  /// until the next call; empty at the end). Returns the bytes written; fewer than `n` only at
  /// the end of the data.
  template <class Refill>
  std::size_t read(char* out, std::size_t n, Refill&& refill) {
    std::size_t done = 0;
    while (done < n && !finished_) {
      if (z_.avail_in == 0 && !input_ended_) {
        const std::string_view in = refill();
        input_ended_ = in.empty();
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        z_.avail_in = static_cast<uInt>(in.size());
      }
      if (z_.avail_in == 0 && input_ended_ && !in_member_) {  // the end, between members
        finished_ = true;
        break;
      }
      const std::size_t chunk = std::min<std::size_t>(n - done, std::size_t{1} << 30);
      z_.next_out = reinterpret_cast<Bytef*>(out + done);
      z_.avail_out = static_cast<uInt>(chunk);
      in_member_ = true;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      done += chunk - z_.avail_out;
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        inflateReset(&z_);  // a concatenated file: the next member may follow
      } else if (rc == Z_BUF_ERROR) {
        // No progress: fine when the output is full or more input is coming.
        CHURN_CHECK(!(input_ended_ && z_.avail_in == 0), IOError,
                    caller_ << ": '" << source_
                            << "' is truncated gzip data (it ends inside a compressed stream)");
      } else if (rc != Z_OK) {
        fail(z_.msg != nullptr ? z_.msg : "error " + std::to_string(rc));
      }
    }
    return done;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    CHURN_THROW(IOError,
                caller_ << ": '" << source_ << "' is damaged gzip data (zlib: " << why << ")");
  }
  z_stream z_{};
  std::string caller_;
  std::string source_;
  bool input_ended_ = false;
  bool in_member_ = false;
  bool finished_ = false;
};

}  // namespace

std::string gunzip(std::string_view data, std::string_view caller, std::string_view source) {
  Inflater inf(caller, source);
  bool handed = false;
  auto refill = [&]() -> std::string_view {
    if (handed) return {};
    handed = true;
    return data;
  };
  // First guess: the size the last member's trailer states (ISIZE, mod 2^32; the whole size
  // for a single member), within deflate's largest ratio (1032:1), so one buffer usually does.
  std::size_t guess = data.size() * 4;
  if (data.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(data.data() + data.size() - 4);
    const std::size_t isize = std::size_t{t[0]} | std::size_t{t[1]} << 8 | std::size_t{t[2]} << 16 |
                              std::size_t{t[3]} << 24;
    guess = std::max(guess, std::min(isize, data.size() * 1032) + 1);
  }
  std::string out;
  std::size_t size = 0;
  out.resize(std::max<std::size_t>(guess, 1 << 16));
  for (;;) {
    const std::size_t want = out.size() - size;
    const std::size_t got = inf.read(out.data() + size, want, refill);
    size += got;
    if (got < want) break;
    out.resize(out.size() * 2);
  }
  out.resize(size);
  return out;
}

struct GzipReader::Impl {
  std::FILE* file;
  std::string caller;
  std::string source;
  Inflater inflater;
  std::vector<char> in;
  Impl(std::FILE* f, std::string c, std::string s)
      : file(f),
        caller(std::move(c)),
        source(std::move(s)),
        inflater(caller, source),
        in(1 << 16) {}
};

GzipReader::GzipReader(std::FILE* file, std::string caller, std::string source)
    : impl_(std::make_unique<Impl>(file, std::move(caller), std::move(source))) {}

GzipReader::~GzipReader() = default;

std::size_t GzipReader::read(char* out, std::size_t n) {
  Impl& m = *impl_;
  return m.inflater.read(out, n, [&]() -> std::string_view {
    const std::size_t got = std::fread(m.in.data(), 1, m.in.size(), m.file);
    CHURN_CHECK(got > 0 || std::ferror(m.file) == 0, IOError,
                m.caller << ": error while reading '" << m.source << "': " << std::strerror(errno));
    return {m.in.data(), got};
  });
}

}  // namespace churn::common
