// Public CSV API: read_csv, parse_csv, CsvChunkReader, write_csv, to_csv_string.

#include "churn/data/csv.hpp"

#include <algorithm>  // std::count, std::min
#include <cerrno>     // errno
#include <charconv>   // std::to_chars
#include <cmath>      // std::isnan
#include <cstdio>     // std::FILE, std::fopen, std::fread
#include <cstring>    // std::strerror, std::memmove
#include <memory>     // std::unique_ptr
#include <utility>    // std::move

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>  // mmap
#include <sys/stat.h>  // fstat
#define CHURN_CSV_MMAP 1
#else
#define CHURN_CSV_MMAP 0
#endif

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/fileio.hpp"
#include "churn/core/parallel.hpp"
#include "churn/data/schema.hpp"
#include "common/file_read.hpp"
#include "data/csv_impl.hpp"

namespace churn::data {

namespace {

using common::FilePtr;

FilePtr open_for_reading(const std::string& path, const char* caller) {
  return common::open_regular_file(path, caller);  // a directory, FIFO or device is refused
}

// The whole file in memory: mapped read-only where possible (no copy, pages come straight from
// the page cache), else read into one buffer.
struct FileBuffer {
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
  std::string text;  // decompressed / line ends translated, when not empty: see prepare_text
#if CHURN_CSV_MMAP
  void* map = nullptr;
  FileBuffer() = default;
  FileBuffer(const FileBuffer&) = delete;
  FileBuffer& operator=(const FileBuffer&) = delete;
  FileBuffer(FileBuffer&& o) noexcept
      : data(std::move(o.data)), size(o.size), text(std::move(o.text)), map(o.map) {
    o.map = nullptr;
  }
  ~FileBuffer() {
    if (map != nullptr) ::munmap(map, size);
  }
  std::string_view raw() const {
    return {map != nullptr ? static_cast<const char*>(map) : data.get(), size};
  }
#else
  std::string_view raw() const {
    return {data.get(), size};
  }
#endif
};

FileBuffer read_whole_file(const std::string& path, const char* caller) {
  FilePtr f = open_for_reading(path, caller);
  FileBuffer buf;
#if CHURN_CSV_MMAP
  {
    struct stat st {};
    if (::fstat(::fileno(f.get()), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      const auto size = static_cast<std::size_t>(st.st_size);
      void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, ::fileno(f.get()), 0);
      if (p != MAP_FAILED) {
        ::madvise(p, size, MADV_WILLNEED);
        buf.map = p;
        buf.size = size;
        return buf;
      }
    }
  }
#endif
  std::size_t capacity = 0;
  if (std::fseek(f.get(), 0, SEEK_END) == 0) {
    const long end = std::ftell(f.get());
    if (end > 0) capacity = static_cast<std::size_t>(end);
    std::fseek(f.get(), 0, SEEK_SET);
  }
  capacity = std::max<std::size_t>(capacity + 1, 1 << 16);
  buf.data.reset(new char[capacity]);
  for (;;) {
    if (buf.size == capacity) {  // the size changed or was unknown: grow
      std::unique_ptr<char[]> bigger(new char[capacity * 2]);
      std::memcpy(bigger.get(), buf.data.get(), buf.size);
      buf.data = std::move(bigger);
      capacity *= 2;
    }
    const std::size_t got = std::fread(buf.data.get() + buf.size, 1, capacity - buf.size, f.get());
    buf.size += got;
    if (got == 0) break;
  }
  CHURN_CHECK(std::ferror(f.get()) == 0, IOError,
              caller << ": error while reading '" << path << "': " << std::strerror(errno));
  return buf;
}

// The CSV text of `raw`: itself, or a copy in `storage` when it is gzip data (decompressed) or
// has CR-only line ends (translated to '\n', which the tokeniser reads).
std::string_view prepare_text(std::string_view raw, std::string& storage, const CsvOptions& o,
                              const char* caller, const std::string& source) {
  if (common::is_gzip(raw)) {
    storage = common::gunzip(raw, caller, source);
    raw = storage;
  }
  if (detail::first_line_end(raw, o.quote, true) == detail::LineEnds::Cr) {
    if (raw.data() != storage.data()) storage.assign(raw);
    bool in_quote = false;
    detail::cr_to_lf(storage.data(), storage.size(), o.quote, in_quote);
    raw = storage;
  }
  return raw;
}

// Per kept column: the type from `column_types`, else from `schema`, else nullopt.
std::vector<std::optional<DType>> kept_types(const detail::CsvHeader& h, const CsvOptions& o,
                                             const Schema* schema) {
  std::vector<std::optional<DType>> types(h.kept.size());
  for (std::size_t k = 0; k < h.kept.size(); ++k) {
    const std::string& name = h.names[static_cast<std::size_t>(h.kept[k])];
    if (schema != nullptr && schema->has_column(name)) types[k] = schema->column(name).dtype;
    auto it = o.column_types.find(name);
    if (it != o.column_types.end()) types[k] = it->second;
  }
  return types;
}

// Parses a whole text. `lines`, when given, receives the 1-based line of every row.
Table parse_whole(std::string_view text, const CsvOptions& options, const std::string& source,
                  const Schema* schema, std::vector<Index>* lines) {
  const auto header = detail::parse_header(text, options, true, source);
  const detail::Tokenized tok =
      detail::tokenize(text, *header, true, header->data_begin, 1, source, options.n_threads);
  detail::ConvertSpec spec;
  spec.types = kept_types(*header, options, schema);
  Table t = detail::convert(tok, options, spec);
  if (lines != nullptr) *lines = detail::row_lines(tok, options.n_threads);
  return t;
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Reading
// ------------------------------------------------------------------------------------------

Table read_csv(const std::string& path, const CsvOptions& options) {
  FileBuffer buf = read_whole_file(path, "read_csv()");
  const std::string source = options.source_name.empty() ? path : options.source_name;
  const std::string_view text = prepare_text(buf.raw(), buf.text, options, "read_csv()", source);
  return parse_whole(text, options, source, nullptr, nullptr);
}

Table read_csv(const std::string& path, const Schema& schema, const CsvOptions& options) {
  FileBuffer buf = read_whole_file(path, "read_csv()");
  const std::string source = options.source_name.empty() ? path : options.source_name;
  const std::string_view text = prepare_text(buf.raw(), buf.text, options, "read_csv()", source);
  std::vector<Index> lines;
  Table t = parse_whole(text, options, source, &schema, &lines);
  ValidationReport report = schema.validate(t);
  if (!report.ok()) {
    for (auto& v : report.violations)
      if (v.row >= 0 && v.row < static_cast<Index>(lines.size()))
        v.set_line(lines[static_cast<std::size_t>(v.row)]);
    CHURN_THROW(SchemaError,
                "read_csv(): '" << source << "' breaks its schema: " << report.to_string());
  }
  return t;
}

Table parse_csv(std::string_view text, const CsvOptions& options) {
  const std::string source = options.source_name.empty() ? "<string>" : options.source_name;
  std::string storage;
  return parse_whole(prepare_text(text, storage, options, "parse_csv()", source), options, source,
                     nullptr, nullptr);
}

// ------------------------------------------------------------------------------------------
// CsvChunkReader
// ------------------------------------------------------------------------------------------

struct CsvChunkReader::Impl {
  FilePtr file;
  std::string source;
  CsvOptions options;
  std::size_t chunk_bytes = 0;
  std::vector<char> buf;  // carried-over partial row + newly read bytes
  std::size_t start = 0;  // first unconsumed byte of buf
  bool eof = false;
  Index next_line = 1;  // line of buf[start]
  detail::CsvHeader header;
  bool first_chunk = true;
  std::vector<std::optional<DType>> types;
  std::vector<bool> fixed;
  std::vector<std::unique_ptr<detail::StringDict>> dicts;
  std::unique_ptr<common::GzipReader> gzip;  // set for a gzip file: reads decompress
  bool cr_line_ends = false;                 // CR-only line ends: read bytes are translated
  bool cr_in_quote = false;                  // cr_to_lf's quote state at the end of buf

  // Appends up to `bytes` bytes from the file; sets eof at the end. Reads in pieces of at
  // most kReadPiece bytes, so the buffer grows with the data that arrives: a chunk_bytes far
  // above the file's size (2^40) reads the file instead of allocating chunk_bytes up front.
  void read_more(std::size_t bytes) {
    if (eof) return;
    if (start > 0) {  // drop consumed bytes
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(start));
      start = 0;
    }
    constexpr std::size_t kReadPiece = std::size_t{64} << 20;
    while (bytes > 0 && !eof) {
      const std::size_t ask = std::min(bytes, kReadPiece);
      const std::size_t old = buf.size();
      buf.resize(old + ask);
      const std::size_t got = gzip ? gzip->read(buf.data() + old, ask)
                                   : std::fread(buf.data() + old, 1, ask, file.get());
      buf.resize(old + got);
      if (cr_line_ends) detail::cr_to_lf(buf.data() + old, got, options.quote, cr_in_quote);
      bytes -= got;
      if (got < ask) {
        CHURN_CHECK(
            std::ferror(file.get()) == 0, IOError,
            "CsvChunkReader: error while reading '" << source << "': " << std::strerror(errno));
        eof = true;
      }
    }
  }
  std::string_view view() const { return {buf.data(), buf.size()}; }
};

CsvChunkReader::CsvChunkReader(const std::string& path, CsvOptions options, std::size_t chunk_bytes)
    : impl_(std::make_unique<Impl>()) {
  CHURN_CHECK(chunk_bytes >= 1, InvalidArgument,
              "CsvChunkReader: chunk_bytes must be >= 1, got " << chunk_bytes);
  Impl& m = *impl_;
  m.file = open_for_reading(path, "CsvChunkReader");
  m.source = options.source_name.empty() ? path : options.source_name;
  m.options = std::move(options);
  m.chunk_bytes = chunk_bytes;
  {  // gzip data by its magic bytes (a regular file, so it can be rewound)
    char magic[2] = {0, 0};
    const std::size_t got = std::fread(magic, 1, 2, m.file.get());
    CHURN_CHECK(std::fseek(m.file.get(), 0, SEEK_SET) == 0, IOError,
                "CsvChunkReader: cannot rewind '" << m.source << "': " << std::strerror(errno));
    if (common::is_gzip(std::string_view(magic, got)))
      m.gzip = std::make_unique<common::GzipReader>(m.file.get(), "CsvChunkReader", m.source);
  }
  // Read until the first line end is known and the header row is complete (or the file ends).
  std::size_t want = std::max<std::size_t>(chunk_bytes, 1 << 16);
  bool line_ends_known = false;
  for (;;) {
    m.read_more(want);
    if (!line_ends_known) {
      const detail::LineEnds ends = detail::first_line_end(m.view(), m.options.quote, m.eof);
      if (ends == detail::LineEnds::Unknown) {
        want *= 2;
        continue;
      }
      line_ends_known = true;
      if (ends == detail::LineEnds::Cr) {
        m.cr_line_ends = true;
        detail::cr_to_lf(m.buf.data(), m.buf.size(), m.options.quote, m.cr_in_quote);
      }
    }
    auto h = detail::parse_header(m.view(), m.options, m.eof, m.source);
    if (h) {
      m.header = std::move(*h);
      break;
    }
    want *= 2;
  }
  m.start = m.header.data_begin;
  m.next_line = 1 + static_cast<Index>(std::count(m.buf.data(), m.buf.data() + m.start, '\n'));
  m.types = kept_types(m.header, m.options, nullptr);
  m.fixed.assign(m.types.size(), false);
  m.dicts.resize(m.types.size());
  for (auto& d : m.dicts) d = std::make_unique<detail::StringDict>();
}

CsvChunkReader::~CsvChunkReader() = default;

const std::vector<std::string>& CsvChunkReader::column_names() const {
  return impl_->header.names;
}

std::optional<Table> CsvChunkReader::next() {
  Impl& m = *impl_;
  std::size_t want = m.chunk_bytes;
  for (;;) {
    if (!m.eof && m.buf.size() - m.start < want) m.read_more(want - (m.buf.size() - m.start));
    if (m.start >= m.buf.size() && m.eof) return std::nullopt;
    // At most `want` bytes from `start`; a row cut at the end is carried to the next chunk.
    const std::size_t avail = m.buf.size() - m.start;
    const bool whole = avail <= want;
    const std::string_view text(m.buf.data(), m.start + std::min(avail, want));
    const bool at_eof = m.eof && whole;
    // Line numbers count from text[0]: give the line of text[0] in the whole file.
    const Index base_line =
        m.next_line - static_cast<Index>(std::count(text.data(), text.data() + m.start, '\n'));
    const detail::Tokenized tok =
        detail::tokenize(text, m.header, at_eof, m.start, base_line, m.source, m.options.n_threads);
    if (tok.n_rows == 0 && !at_eof) {  // no complete row yet: look further
      want = std::max(want * 2, want + m.chunk_bytes);
      continue;
    }
    if (tok.n_rows == 0) {
      m.start = m.buf.size();
      return std::nullopt;
    }
    detail::ConvertSpec spec;
    spec.types = m.types;
    spec.fixed_by_first_chunk = m.fixed;
    for (auto& d : m.dicts) spec.dictionaries.push_back(d.get());
    Table t = detail::convert(tok, m.options, spec);
    if (m.first_chunk) {
      for (std::size_t k = 0; k < m.types.size(); ++k) {
        if (!m.types[k]) {
          m.types[k] = t.column(static_cast<Index>(k)).dtype();
          m.fixed[k] = true;
        }
      }
      m.first_chunk = false;
    }
    m.next_line +=
        static_cast<Index>(std::count(text.data() + m.start, text.data() + tok.consumed, '\n'));
    m.start = tok.consumed;
    return t;
  }
}

// ------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------

namespace {

bool needs_quotes(std::string_view s, char delim) {
  if (s.empty()) return false;
  if (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t') return true;
  for (char c : s)
    if (c == delim || c == '"' || c == '\n' || c == '\r') return true;
  return false;
}

void append_text(std::string& out, std::string_view s, char delim) {
  if (!needs_quotes(s, delim)) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void check_write_options(const CsvWriteOptions& o, const char* caller) {
  CHURN_CHECK(
      o.delimiter != '"' && o.delimiter != '\n' && o.delimiter != '\r', InvalidArgument,
      caller << ": delimiter must not be a quote or a line break, got '" << o.delimiter << "'");
  CHURN_CHECK(!o.line_terminator.empty(), InvalidArgument,
              caller << ": line_terminator must not be empty");
}

// Rows [lo, hi) as CSV text.
void format_rows(const Table& t, Index lo, Index hi, const CsvWriteOptions& o, std::string& out) {
  const Index p = t.num_columns();
  char buf[64];
  for (Index i = lo; i < hi; ++i) {
    for (Index j = 0; j < p; ++j) {
      if (j > 0) out.push_back(o.delimiter);
      const Column& c = t.column(j);
      switch (c.dtype()) {
        case DType::Float64: {
          const double v = static_cast<const double*>(c.data())[i];
          if (std::isnan(v)) {
            append_text(out, o.na_rep, o.delimiter);
          } else {
            const auto r = std::to_chars(buf, buf + sizeof buf, v);
            out.append(buf, r.ptr);
          }
          break;
        }
        case DType::Int64: {
          const auto& valid = c.validity();
          if (!valid.empty() && valid[static_cast<std::size_t>(i)] == 0) {
            append_text(out, o.na_rep, o.delimiter);
          } else {
            const auto r =
                std::to_chars(buf, buf + sizeof buf, static_cast<const std::int64_t*>(c.data())[i]);
            out.append(buf, r.ptr);
          }
          break;
        }
        case DType::Categorical: {
          const std::int32_t code = c.code_at(i);
          if (code < 0)
            append_text(out, o.na_rep, o.delimiter);
          else
            append_text(out, c.categories()[static_cast<std::size_t>(code)], o.delimiter);
          break;
        }
        case DType::Timestamp: {
          const std::int64_t ns = static_cast<const std::int64_t*>(c.data())[i];
          if (ns == kNaT)
            append_text(out, o.na_rep, o.delimiter);
          else
            out.append(format_timestamp(ns));
          break;
        }
        case DType::String: {
          const auto& valid = c.validity();
          if (!valid.empty() && valid[static_cast<std::size_t>(i)] == 0)
            append_text(out, o.na_rep, o.delimiter);
          else
            append_text(out, c.strings()[static_cast<std::size_t>(i)], o.delimiter);
          break;
        }
      }
    }
    out.append(o.line_terminator);
  }
}

// Formats the table in parallel blocks of rows and hands each block's text to `sink` in order.
template <class Sink>
void write_blocks(const Table& t, const CsvWriteOptions& o, Sink&& sink) {
  if (o.header && t.num_columns() > 0) {
    std::string head;
    for (Index j = 0; j < t.num_columns(); ++j) {
      if (j > 0) head.push_back(o.delimiter);
      append_text(head, t.column(j).name(), o.delimiter);
    }
    head.append(o.line_terminator);
    sink(head);
  }
  if (t.num_columns() == 0) return;
  constexpr Index kRowsPerBlock = 16384;
  const Index n = t.num_rows();
  const Index n_blocks = (n + kRowsPerBlock - 1) / kRowsPerBlock;
  const int threads = resolve_threads(0);
  const Index group = std::max<Index>(1, threads) * 4;  // blocks formatted at once
  std::vector<std::string> texts(static_cast<std::size_t>(std::min(group, n_blocks)));
  for (Index g = 0; g < n_blocks; g += group) {
    const Index g_end = std::min(n_blocks, g + group);
    parallel_for(g, g_end, threads, [&](Index b) {
      std::string& s = texts[static_cast<std::size_t>(b - g)];
      s.clear();
      format_rows(t, b * kRowsPerBlock, std::min(n, (b + 1) * kRowsPerBlock), o, s);
    });
    for (Index b = g; b < g_end; ++b) sink(texts[static_cast<std::size_t>(b - g)]);
  }
}

}  // namespace

void write_csv(const Table& table, const std::string& path, const CsvWriteOptions& options) {
  check_write_options(options, "write_csv()");
  AtomicFile out(path);
  write_blocks(table, options, [&](const std::string& s) { out.write(s); });
  out.commit();
}

std::string to_csv_string(const Table& table, const CsvWriteOptions& options) {
  check_write_options(options, "to_csv_string()");
  std::string out;
  write_blocks(table, options, [&](const std::string& s) { out.append(s); });
  return out;
}

}  // namespace churn::data
