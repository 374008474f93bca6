// CSV tokenising: header, delimiter sniffing, row boundaries, fields (see detail/csv_impl.hpp).

#include <algorithm>      // std::count, std::min, std::max, std::clamp
#include <array>          // std::array
#include <cmath>          // std::isfinite
#include <cstring>        // std::memchr, std::memcpy
#include <limits>         // std::numeric_limits
#include <unordered_set>  // std::unordered_set
#include <utility>        // std::move

#if defined(__linux__)
#include <sys/mman.h>  // madvise
#endif

// The SSE2 row fast path (SSE2 is baseline on x86-64); -DCHURN_CSV_SSE2=0 keeps the portable
// path only, as on other platforms.
#if !defined(CHURN_CSV_SSE2)
#if defined(__SSE2__)
#define CHURN_CSV_SSE2 1
#else
#define CHURN_CSV_SSE2 0
#endif
#endif
#if CHURN_CSV_SSE2
#include <emmintrin.h>  // _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_min_epu8
#endif

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "data/csv_impl.hpp"

namespace churn::data {
namespace detail {

std::size_t& csv_block_bytes_override() {
  static std::size_t bytes = 0;
  return bytes;
}

void advise_huge_pages(const void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto lo = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const auto hi = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

int csv_threads(int n_threads, std::size_t bytes) {
  const int threads = resolve_threads(n_threads);
  if (csv_block_bytes_override() != 0) return threads;
  const auto per_mib = static_cast<int>(std::min<std::size_t>(bytes >> 20, 1 << 20));
  return std::max(1, std::min(threads, per_mib));
}

std::size_t bom_length(std::string_view text) {
  return text.size() >= 3 && text[0] == '\xEF' && text[1] == '\xBB' && text[2] == '\xBF' ? 3 : 0;
}

LineEnds first_line_end(std::string_view text, char quote, bool at_eof) {
  const char* s = text.data();
  const std::size_t n = text.size();
  bool in_quote = false;
  for (std::size_t i = bom_length(text); i < n; ++i) {
    const char c = s[i];
    if (quote != '\0' && c == quote) {
      in_quote = !in_quote;
    } else if (!in_quote && c == '\n') {
      return LineEnds::Lf;
    } else if (!in_quote && c == '\r') {
      if (i + 1 < n) return s[i + 1] == '\n' ? LineEnds::Lf : LineEnds::Cr;
      return at_eof ? LineEnds::Cr : LineEnds::Unknown;
    }
  }
  return at_eof ? LineEnds::Lf : LineEnds::Unknown;
}

void cr_to_lf(char* p, std::size_t n, char quote, bool& in_quote) {
  for (std::size_t i = 0; i < n; ++i) {
    if (quote != '\0' && p[i] == quote)
      in_quote = !in_quote;
    else if (p[i] == '\r' && !in_quote)
      p[i] = '\n';
  }
}

std::string excerpt(std::string_view text, std::size_t max_len) {
  std::string out;
  const std::size_t n = std::min(text.size(), max_len);
  out.reserve(n + 8);
  for (std::size_t i = 0; i < n; ++i) {
    if (text[i] == '\n')
      out += "\\n";
    else if (text[i] == '\r')
      out += "\\r";
    else
      out += text[i];
  }
  if (text.size() > max_len) out += "...";
  return out;
}

namespace {

inline bool is_blank(char c, char delim) {
  // Most bytes are above ' ': one compare rejects them.
  return static_cast<unsigned char>(c) <= ' ' && (c == ' ' || c == '\t') && c != delim;
}

// Offset of the first `delim` or '\n' at or after `p` (n when none): 8 bytes at a time.
inline std::size_t find_field_end(const char* s, std::size_t p, std::size_t n, char delim) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t dmask = kOnes * static_cast<unsigned char>(delim);
  const std::uint64_t nmask = kOnes * static_cast<unsigned char>('\n');
  while (p + 8 <= n) {
    std::uint64_t x = 0;
    std::memcpy(&x, s + p, 8);
    const std::uint64_t a = x ^ dmask;
    const std::uint64_t b = x ^ nmask;
    // High bit set in the lowest byte that is zero (bytes above it may be false positives).
    const std::uint64_t z = ((a - kOnes) & ~a & kHigh) | ((b - kOnes) & ~b & kHigh);
    if (z != 0) return p + static_cast<std::size_t>(__builtin_ctzll(z) >> 3);
    p += 8;
  }
#endif
  while (p < n && s[p] != delim && s[p] != '\n') ++p;
  return p;
}

// Occurrences of `c` in [p, end): memchr jumps over the (usually long) runs without it.
std::size_t count_char(const char* p, const char* end, char c) {
  std::size_t count = 0;
  while (p < end) {
    const void* hit = std::memchr(p, c, static_cast<std::size_t>(end - p));
    if (hit == nullptr) break;
    ++count;
    p = static_cast<const char*>(hit) + 1;
  }
  return count;
}

enum class RowStatus : std::uint8_t { Ok, Incomplete, Unterminated };

struct RowResult {
  RowStatus status;
  std::size_t next;     // offset after the row's newline (Ok)
  Index n_fields;       // fields seen
  std::size_t bad_pos;  // opening quote of an unterminated field
};

// Parses one row starting at `p` (not a blank line). Calls sink(col, start, len, flags) for
// every field with absolute offsets. A row runs to an unquoted '\n' (a '\r' before it is
// dropped) or to the end of the text.
template <class Sink>
inline RowResult parse_row(const char* s, std::size_t n, std::size_t p, const Dialect& d,
                           bool at_eof, Sink&& sink) {
  const char delim = d.delimiter;
  const char quote = d.quote;
  Index col = 0;
  for (;;) {
    const std::size_t field_start = p;
    if (d.trim)
      while (p < n && is_blank(s[p], delim)) ++p;
    if (d.has_quote && p < n && s[p] == quote) {
      const std::size_t open = p;
      std::size_t c = p + 1;
      std::uint32_t flags = 0;
      std::size_t close = 0;
      for (;;) {
        const void* hit = c < n ? std::memchr(s + c, quote, n - c) : nullptr;
        if (hit == nullptr)
          return {at_eof ? RowStatus::Unterminated : RowStatus::Incomplete, n, col, open};
        close = static_cast<std::size_t>(static_cast<const char*>(hit) - s);
        if (close + 1 < n && s[close + 1] == quote) {
          flags = kFieldEscaped;
          c = close + 2;
          continue;
        }
        if (close + 1 >= n && !at_eof) return {RowStatus::Incomplete, n, col, open};
        break;
      }
      p = close + 1;
      if (d.trim)
        while (p < n && is_blank(s[p], delim)) ++p;
      if (p >= n || s[p] == delim || s[p] == '\n' ||
          (s[p] == '\r' && p + 1 < n && s[p + 1] == '\n')) {
        sink(col, open + 1, close - open - 1, flags);
        if (p < n && s[p] == '\r') ++p;
      } else {
        // Text after the closing quote: kept literally (as pandas and Python's csv do).
        while (p < n && s[p] != delim && s[p] != '\n') ++p;
        std::size_t e = p;
        if (s[e - 1] == '\r' && (p >= n || s[p] == '\n')) --e;
        sink(col, field_start, e - field_start, kFieldComplex);
      }
    } else {
      const std::size_t b = p;
      p = find_field_end(s, p, n, delim);
      std::size_t e = p;
      if (e > b && s[e - 1] == '\r' && (p >= n || s[p] == '\n')) --e;
      if (d.trim)
        while (e > b && is_blank(s[e - 1], delim)) --e;
      sink(col, b, e - b, 0u);
    }
    ++col;
    if (p >= n) return {at_eof ? RowStatus::Ok : RowStatus::Incomplete, n, col, 0};
    if (s[p] == delim) {
      ++p;
      continue;
    }
    return {RowStatus::Ok, p + 1, col, 0};  // s[p] == '\n'
  }
}

#if CHURN_CSV_SSE2
// Fast path for a plain row: no quote, no blank (or other byte <= ' ') next to a delimiter or at
// the row's ends, no '\r' but right before the final '\n' (so nothing to trim or unquote), the
// right number of fields, and its '\n' found 16 bytes at a time before the last 16 bytes of the
// text. Writes the kept fields to
// `out` and returns the offset after the '\n'; returns 0 for any other row, which parse_row
// then reads (and reports, when malformed).
inline std::size_t plain_row(const char* s, std::size_t n, std::size_t p, std::size_t begin,
                             const Dialect& d, Index n_cols, const int* slot, FieldRef* out) {
  const __m128i vdelim = _mm_set1_epi8(d.delimiter);
  const __m128i vnl = _mm_set1_epi8('\n');
  const __m128i vcr = _mm_set1_epi8('\r');
  const __m128i vquote = _mm_set1_epi8(d.quote);
  const __m128i vspace = _mm_set1_epi8(' ');
  const unsigned quotes = d.has_quote ? 0xFFFFu : 0u;
  Index col = 0;
  std::size_t field_start = p;
  unsigned after_stop = 1;  // bit 0: the byte at q follows a delimiter (or starts the row)
  for (std::size_t q = p; q + 16 <= n; q += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + q));
    const auto md = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vdelim)));
    const auto mn = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vnl)));
    const auto mr = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vcr)));
    const auto mq = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vquote))) & quotes;
    const auto ml =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, vspace), v)));
    unsigned stops = md | mn;
    const unsigned low = ml & ~stops & ~mr;  // blanks and other control bytes
    // A low byte is fine inside a field; next to a field's edge it may need trimming. Bit 15's
    // right neighbour is the first byte of the next 16.
    const unsigned next_edge =
        q + 16 < n && (s[q + 16] == d.delimiter || s[q + 16] == '\n' || s[q + 16] == '\r') ? 0x8000u
                                                                                           : 0u;
    unsigned bad = (low & ((stops << 1) | after_stop | ((stops | mr) >> 1) | next_edge)) |
                   (mr & ~(mn >> 1)) | (mq & ~md);
    after_stop = (stops >> 15) & 1u;
    if (mn != 0) {
      const unsigned through = (mn & (0u - mn)) * 2 - 1;  // bits up to the first '\n'
      bad &= through;
      stops &= through;
    }
    if (bad != 0) return 0;
    while (stops != 0) {
      const auto e = q + static_cast<std::size_t>(__builtin_ctz(stops));
      stops &= stops - 1;
      if (col >= n_cols) return 0;
      const bool last = s[e] == '\n';
      const std::size_t len = e - field_start - (last && e > field_start && s[e - 1] == '\r');
      if (len > kFieldLenMask) return 0;
      const int k = slot[col];
      if (k >= 0)
        out[k] = FieldRef{static_cast<std::uint32_t>(field_start - begin),
                          static_cast<std::uint32_t>(len)};
      ++col;
      field_start = e + 1;
      if (last) return col == n_cols ? e + 1 : 0;
    }
  }
  return 0;
}
#endif

// Skips blank lines (only spaces, tabs, '\r') from `p`. Returns the start of the next row, or
// n with `rest_blank` set when only blanks remain.
inline std::size_t skip_blank_lines(const char* s, std::size_t n, std::size_t p, char delim,
                                    bool& rest_blank) {
  rest_blank = false;
  for (;;) {
    std::size_t t = p;
    while (t < n && (s[t] == '\r' || is_blank(s[t], delim))) ++t;
    if (t >= n) {
      rest_blank = true;
      return p;
    }
    if (s[t] != '\n') return p;
    p = t + 1;
  }
}

std::string column_label(const CsvHeader* h, Index col) {
  std::string out;
  if (h != nullptr && col >= 0 && col < static_cast<Index>(h->names.size())) {
    out = "column '" + h->names[static_cast<std::size_t>(col)] + "' (" + std::to_string(col + 1) +
          ")";
  } else if (h != nullptr) {
    out = "column " + std::to_string(col + 1) + " (the header has " +
          std::to_string(h->names.size()) + " columns)";
  } else {
    out = "column " + std::to_string(col + 1);
  }
  return out;
}

[[noreturn]] void throw_token_error(const Tokenized& tok, const TokenError& e) {
  CHURN_THROW(ParseError, tok.source << ": line " << line_of(tok, e.pos) << ", "
                                     << column_label(tok.header, e.column) << ": " << e.what
                                     << "; text found: '" << e.text << "'");
}

// The error of the malformed row [row_start, row_end) that parse_row read as `r`: an
// unterminated quote, a ragged row, or a field or row too long for a FieldRef.
TokenError malformed_row(const char* s, std::size_t n, std::size_t row_start, std::size_t row_end,
                         const RowResult& r, Index n_cols) {
  std::size_t text_end = row_end;
  while (text_end > row_start && (s[text_end - 1] == '\n' || s[text_end - 1] == '\r')) --text_end;
  const std::string row_text = excerpt(std::string_view(s + row_start, text_end - row_start), 120);
  if (r.status == RowStatus::Unterminated)
    return TokenError{r.bad_pos, r.n_fields,
                      "unterminated quoted field (no closing quote before the end of the text)",
                      excerpt(std::string_view(s + r.bad_pos, n - r.bad_pos))};
  if (r.n_fields > n_cols)
    return TokenError{row_start, n_cols,
                      "ragged row: " + std::to_string(r.n_fields) + " fields, expected " +
                          std::to_string(n_cols) + " (too many fields)",
                      row_text};
  if (r.n_fields < n_cols)
    return TokenError{row_start, r.n_fields,
                      "ragged row: " + std::to_string(r.n_fields) + " fields, expected " +
                          std::to_string(n_cols) + " (missing field)",
                      row_text};
  return TokenError{row_start, -1, "row or field too long (limit 1 GiB per field)",
                    excerpt(row_text)};
}

// Tokenises rows starting at `begin` while the row start is before `limit`.
void tokenize_block(const char* s, std::size_t n, std::size_t begin, std::size_t limit, bool at_eof,
                    const CsvHeader& h, TokenBlock& b) {
  b.begin = begin;
  b.end = begin;
  const auto n_cols = static_cast<Index>(h.names.size());
  const std::size_t n_kept = h.kept.size();
  const int* slot = h.slot.data();
  const Dialect& d = h.dialect;
  std::size_t p = begin;
  std::size_t used = 0;  // entries of b.fields in use (it grows ahead in large steps)
  auto finish = [&](std::size_t end) {
    b.fields.resize(used);
    b.end = end;
  };
  // After 64 rows: size the index once for the rows expected in the block (+10%).
  auto size_index = [&]() {
    const double per_row = static_cast<double>(p - begin) / 64.0;
    const auto expect =
        static_cast<std::size_t>(static_cast<double>(limit - begin) / per_row * 1.1) + 16;
    if (expect * n_kept > b.fields.size()) {
      b.fields.reserve(expect * n_kept);
      advise_huge_pages(b.fields.data(), b.fields.capacity() * sizeof(FieldRef));
      b.fields.resize(expect * n_kept);
    }
    b.row_offsets.reserve(expect);
  };
  while (p < limit) {
    bool rest_blank = false;
    p = skip_blank_lines(s, n, p, d.delimiter, rest_blank);
    if (rest_blank) return finish(at_eof ? n : p);
    if (p >= limit) break;
    const std::size_t row_start = p;
    if (used + n_kept > b.fields.size())
      b.fields.resize(std::max({used + n_kept, 2 * b.fields.size(), 64 * n_kept}));
    FieldRef* out = b.fields.data() + used;
#if CHURN_CSV_SSE2
    const std::size_t plain_end = plain_row(s, n, row_start, begin, d, n_cols, slot, out);
    if (plain_end != 0 && plain_end - begin <= std::numeric_limits<std::uint32_t>::max()) {
      used += n_kept;
      b.row_offsets.push_back(static_cast<std::uint32_t>(row_start - begin));
      ++b.n_rows;
      p = plain_end;
      if (b.n_rows == 64 && limit > p) size_index();
      continue;
    }
#endif
    bool too_long = false;
    const RowResult r =
        parse_row(s, n, row_start, d, at_eof,
                  [&](Index col, std::size_t start, std::size_t len, std::uint32_t flags) {
                    if (col < n_cols) {
                      const int k = slot[col];
                      if (k >= 0) {
                        too_long |= len > kFieldLenMask;
                        out[k] = FieldRef{static_cast<std::uint32_t>(start - begin),
                                          static_cast<std::uint32_t>(len) | flags};
                      }
                    }
                  });
    if (r.status == RowStatus::Incomplete) return finish(row_start);
    const std::size_t row_end = r.status == RowStatus::Ok ? r.next : n;
    if (r.status != RowStatus::Ok || r.n_fields != n_cols || too_long ||
        row_end - begin > std::numeric_limits<std::uint32_t>::max()) {
      finish(row_start);
      b.error = malformed_row(s, n, row_start, row_end, r, n_cols);
      return;
    }
    used += n_kept;
    b.row_offsets.push_back(static_cast<std::uint32_t>(row_start - begin));
    ++b.n_rows;
    p = row_end;
    if (b.n_rows == 64 && limit > p) size_index();
  }
  finish(p);
}

// The first offset after `pos` that starts a row, assuming `in_quote` at `pos` and quote parity.
std::size_t next_row_start(const char* s, std::size_t n, std::size_t pos, bool in_quote,
                           const Dialect& d) {
  if (!d.has_quote) {
    const void* hit = std::memchr(s + pos, '\n', n - pos);
    return hit == nullptr ? n : static_cast<std::size_t>(static_cast<const char*>(hit) - s) + 1;
  }
  for (std::size_t p = pos; p < n; ++p) {
    const char c = s[p];
    if (c == d.quote)
      in_quote = !in_quote;
    else if (c == '\n' && !in_quote)
      return p + 1;
  }
  return n;
}

void validate_options(const CsvOptions& o) {
  CHURN_CHECK(o.delimiter != '\n' && o.delimiter != '\r', InvalidArgument,
              "CsvOptions: delimiter must not be a line break");
  CHURN_CHECK(o.quote != '\n' && o.quote != '\r', InvalidArgument,
              "CsvOptions: quote must not be a line break");
  CHURN_CHECK(o.delimiter == '\0' || o.delimiter != o.quote, InvalidArgument,
              "CsvOptions: delimiter and quote are both '" << o.delimiter << "'");
  CHURN_CHECK(std::isfinite(o.max_categorical_ratio) && o.max_categorical_ratio >= 0.0,
              InvalidArgument,
              "CsvOptions: max_categorical_ratio must be >= 0, got " << o.max_categorical_ratio);
  CHURN_CHECK(o.max_categories >= 0, InvalidArgument,
              "CsvOptions: max_categories must be >= 0, got " << o.max_categories);
  check_n_threads(o.n_threads, "CsvOptions");
}

}  // namespace

char sniff_delimiter(std::string_view text, char quote) {
  constexpr std::array<char, 3> kCandidates = {',', ';', '\t'};
  const std::size_t n = std::min<std::size_t>(text.size(), std::size_t{1} << 16);
  std::vector<std::array<Index, 3>> lines;
  std::array<Index, 3> cur{};
  bool in_quote = false;
  bool content = false;
  for (std::size_t i = 0; i < n && lines.size() < 50; ++i) {
    const char c = text[i];
    if (quote != '\0' && c == quote) {
      in_quote = !in_quote;
      content = true;
      continue;
    }
    if (in_quote) continue;
    if (c == '\n') {
      if (content) lines.push_back(cur);
      cur = {};
      content = false;
      continue;
    }
    if (c != '\r' && c != ' ') content = true;
    for (std::size_t k = 0; k < kCandidates.size(); ++k) cur[k] += c == kCandidates[k] ? 1 : 0;
  }
  // The last line counts when it is complete (end of text) or the only one.
  if (content && (n == text.size() || lines.empty())) lines.push_back(cur);
  if (lines.empty()) return ',';
  int best = -1;
  for (std::size_t k = 0; k < kCandidates.size(); ++k) {
    const Index c0 = lines[0][k];
    if (c0 == 0) continue;
    bool consistent = true;
    for (const auto& l : lines) consistent &= l[k] == c0;
    if (consistent && (best < 0 || c0 > lines[0][static_cast<std::size_t>(best)]))
      best = static_cast<int>(k);
  }
  if (best < 0) {
    for (std::size_t k = 0; k < kCandidates.size(); ++k)
      if (lines[0][k] > 0 && (best < 0 || lines[0][k] > lines[0][static_cast<std::size_t>(best)]))
        best = static_cast<int>(k);
  }
  return best < 0 ? ',' : kCandidates[static_cast<std::size_t>(best)];
}

std::string_view decode_field(const char* block_base, FieldRef f, const Dialect& d,
                              std::string& scratch) {
  const char* p = block_base + f.offset;
  const std::size_t len = f.len_flags & kFieldLenMask;
  if ((f.len_flags & (kFieldEscaped | kFieldComplex)) == 0) return {p, len};
  scratch.clear();
  const char q = d.quote;
  if (f.len_flags & kFieldEscaped) {
    for (std::size_t i = 0; i < len; ++i) {
      scratch.push_back(p[i]);
      if (p[i] == q) ++i;  // the second quote of a doubled pair
    }
    return scratch;
  }
  // Complex: [blanks] "quoted content" rest
  std::size_t i = 0;
  if (d.trim)
    while (i < len && is_blank(p[i], d.delimiter)) ++i;
  ++i;  // the opening quote
  for (; i < len; ++i) {
    if (p[i] == q) {
      if (i + 1 < len && p[i + 1] == q) {
        scratch.push_back(q);
        ++i;
        continue;
      }
      ++i;
      break;
    }
    scratch.push_back(p[i]);
  }
  std::size_t e = len;
  if (d.trim)
    while (e > i && is_blank(p[e - 1], d.delimiter)) --e;
  if (e > i) scratch.append(p + i, e - i);
  return scratch;
}

Index line_of(const Tokenized& tok, std::size_t pos) {
  pos = std::min(pos, tok.text.size());
  return tok.first_line +
         static_cast<Index>(std::count(tok.text.data(), tok.text.data() + pos, '\n'));
}

namespace {

// The dialect: the given delimiter or the one sniffed from the text after the BOM.
Dialect header_dialect(std::string_view text, std::size_t bom, const CsvOptions& options) {
  Dialect d;
  d.delimiter = options.delimiter != '\0' ? options.delimiter
                                          : sniff_delimiter(text.substr(bom), options.quote);
  d.quote = options.quote;
  d.has_quote = options.quote != '\0';
  d.trim = options.trim;
  return d;
}

// Column names from the header's fields (text at absolute offsets): an empty name becomes
// "column_<k>", repeated names get a suffix, as pandas does: "x", "x.1", "x.2".
std::vector<std::string> header_names(const char* s,
                                      const std::vector<std::pair<std::size_t, FieldRef>>& fields,
                                      const Dialect& d) {
  std::vector<std::string> names(fields.size());
  std::string scratch;
  std::unordered_set<std::string> seen;
  for (std::size_t j = 0; j < fields.size(); ++j) {
    std::string name(field_text(s + fields[j].first, fields[j].second, d, scratch));
    if (name.empty()) name = "column_" + std::to_string(j + 1);
    if (seen.count(name)) {
      std::string base = name;
      for (int k = 1; seen.count(name); ++k) name = base + "." + std::to_string(k);
    }
    seen.insert(name);
    names[j] = std::move(name);
  }
  return names;
}

// Checks that column_types names columns of the file and resolves usecols into `h.slot` and
// `h.kept` (every column when empty).
void select_columns(CsvHeader& h, const CsvOptions& options, const std::string& source) {
  const std::size_t n_cols = h.names.size();
  auto list_names = [&]() {
    std::string out;
    for (std::size_t j = 0; j < n_cols && j < 30; ++j) out += (j ? ", '" : "'") + h.names[j] + "'";
    if (n_cols > 30) out += ", ...";
    return out;
  };
  auto find = [&](const std::string& name) -> Index {
    for (std::size_t j = 0; j < n_cols; ++j)
      if (h.names[j] == name) return static_cast<Index>(j);
    return -1;
  };
  for (const auto& kv : options.column_types)
    CHURN_CHECK(find(kv.first) >= 0, SchemaError,
                source << ": column_types names column '" << kv.first
                       << "', which is not in the file; its columns are " << list_names());
  h.slot.assign(n_cols, -1);
  if (options.usecols.empty()) {
    for (std::size_t j = 0; j < n_cols; ++j) h.slot[j] = 1;
  } else {
    for (const auto& name : options.usecols) {
      const Index j = find(name);
      CHURN_CHECK(j >= 0, SchemaError,
                  source << ": usecols names column '" << name
                         << "', which is not in the file; its columns are " << list_names());
      h.slot[static_cast<std::size_t>(j)] = 1;
    }
  }
  for (std::size_t j = 0; j < n_cols; ++j) {
    if (h.slot[j] < 0) continue;
    h.slot[j] = static_cast<int>(h.kept.size());
    h.kept.push_back(static_cast<Index>(j));
  }
}

}  // namespace

std::optional<CsvHeader> parse_header(std::string_view text, const CsvOptions& options, bool at_eof,
                                      const std::string& source) {
  validate_options(options);
  CsvHeader h;
  const std::size_t bom = bom_length(text);
  h.dialect = header_dialect(text, bom, options);
  const char* s = text.data();
  const std::size_t n = text.size();
  bool rest_blank = false;
  const std::size_t p = skip_blank_lines(s, n, bom, h.dialect.delimiter, rest_blank);
  if (rest_blank) {
    if (!at_eof) return std::nullopt;
    CHURN_THROW(ParseError, source << ": line 1: the file is empty (no header line and no data; "
                                      "text found: '"
                                   << excerpt(text) << "')");
  }
  std::vector<std::pair<std::size_t, FieldRef>> fields;  // absolute offsets
  const RowResult r = parse_row(
      s, n, p, h.dialect, at_eof,
      [&](Index, std::size_t start, std::size_t len, std::uint32_t flags) {
        fields.push_back({start, FieldRef{0, static_cast<std::uint32_t>(
                                                 std::min<std::size_t>(len, kFieldLenMask)) |
                                                 flags}});
      });
  if (r.status == RowStatus::Incomplete) return std::nullopt;
  if (r.status == RowStatus::Unterminated) {
    Tokenized tmp;
    tmp.text = text;
    tmp.source = source;
    throw_token_error(
        tmp, TokenError{r.bad_pos, r.n_fields, "unterminated quoted field in the first line",
                        excerpt(std::string_view(s + r.bad_pos, n - r.bad_pos))});
  }
  if (options.header) {
    h.names = header_names(s, fields, h.dialect);
    h.data_begin = r.next;
    if (r.status == RowStatus::Ok && r.next > n) h.data_begin = n;
  } else {
    h.names.resize(fields.size());
    for (std::size_t j = 0; j < fields.size(); ++j) h.names[j] = "column_" + std::to_string(j + 1);
    h.data_begin = p;
  }
  h.data_begin = std::min(h.data_begin, n);
  select_columns(h, options, source);
  return h;
}

namespace {

// Block size for `bytes` of text: about eight blocks per thread, 64 to 256 KiB (or the tests'
// override).
std::size_t block_bytes(std::size_t bytes, int threads) {
  std::size_t bb = csv_block_bytes_override();
  if (bb == 0)
    bb = std::clamp<std::size_t>(bytes / (static_cast<std::size_t>(threads) * 8),
                                 std::size_t{64} << 10, std::size_t{256} << 10);
  return bb;
}

// Step 1: candidate row starts on a grid of `bb` bytes from `begin`, from quote parity
// (parallel): the quotes before each grid point say whether it is inside a quoted field, and
// the first newline outside quotes after it starts a row. Increasing, `begin` first.
std::vector<std::size_t> candidate_row_starts(const char* s, std::size_t n, std::size_t begin,
                                              std::size_t bb, const Dialect& d, int threads) {
  std::vector<std::size_t> starts{begin};
  if (n - begin <= bb) return starts;
  const auto n_grid = static_cast<Index>((n - begin + bb - 1) / bb);
  std::vector<std::uint8_t> odd(static_cast<std::size_t>(n_grid), 0);
  if (d.has_quote) {
    parallel_for(0, n_grid, threads, [&](Index k) {
      const std::size_t lo = begin + static_cast<std::size_t>(k) * bb;
      const std::size_t hi = std::min(n, lo + bb);
      odd[static_cast<std::size_t>(k)] =
          static_cast<std::uint8_t>(count_char(s + lo, s + hi, d.quote) & 1);
    });
  }
  std::vector<std::uint8_t> in_quote(static_cast<std::size_t>(n_grid), 0);
  for (Index k = 1; k < n_grid; ++k)
    in_quote[static_cast<std::size_t>(k)] =
        in_quote[static_cast<std::size_t>(k - 1)] ^ odd[static_cast<std::size_t>(k - 1)];
  std::vector<std::size_t> cand(static_cast<std::size_t>(n_grid), n);
  parallel_for(1, n_grid, threads, [&](Index k) {
    cand[static_cast<std::size_t>(k)] =
        next_row_start(s, n, begin + static_cast<std::size_t>(k) * bb,
                       in_quote[static_cast<std::size_t>(k)] != 0, d);
  });
  for (Index k = 1; k < n_grid; ++k) {
    const std::size_t c = cand[static_cast<std::size_t>(k)];
    if (c < n && c > starts.back()) starts.push_back(c);
  }
  return starts;
}

// Step 2: tokenises the block from each start to the next (parallel, in batches of about
// 100 ms with a stop poll between them; one batch without a StopScope).
void tokenize_blocks(Tokenized& tok, const std::vector<std::size_t>& starts, bool at_eof,
                     const CsvHeader& header, int threads) {
  const char* s = tok.text.data();
  const std::size_t n = tok.text.size();
  const auto n_blocks = static_cast<Index>(starts.size());
  tok.blocks.resize(starts.size());
  churn::detail::run_polled_batches(
      0, n_blocks, 4 * static_cast<Index>(threads), [&](Index b0, Index b1) {
        parallel_for_blocks(b0, b1, 1, threads, [&](Index lo, Index hi) {
          for (Index k = lo; k < hi; ++k) {
            const auto kk = static_cast<std::size_t>(k);
            const std::size_t limit = kk + 1 < starts.size() ? starts[kk + 1] : n;
            tokenize_block(s, n, starts[kk], limit, at_eof, header, tok.blocks[kk]);
          }
        });
      });
}

// Step 3: verifies the blocks in file order: each must end where the next begins. The first
// error of a verified block is the first error of the file. A boundary that quote parity got
// wrong (a quote inside an unquoted field) is repaired by tokenising the rest serially.
void verify_blocks(Tokenized& tok, const std::vector<std::size_t>& starts, std::size_t bb,
                   bool at_eof, const CsvHeader& header) {
  const char* s = tok.text.data();
  const std::size_t n = tok.text.size();
  for (std::size_t k = 0; k < tok.blocks.size(); ++k) {
    const TokenBlock& b = tok.blocks[k];
    if (b.error) throw_token_error(tok, *b.error);
    if (k + 1 < tok.blocks.size() && b.end != starts[k + 1]) {
      std::size_t p = b.end;
      tok.blocks.resize(k + 1);
      while (p < n) {
        TokenBlock nb;
        tokenize_block(s, n, p, std::min(n, p + bb), at_eof, header, nb);
        if (nb.error) throw_token_error(tok, *nb.error);
        const bool progressed = nb.end > p;
        if (progressed) tok.blocks.push_back(std::move(nb));
        if (!progressed) break;
        p = tok.blocks.back().end;
      }
      break;
    }
  }
}

}  // namespace

Tokenized tokenize(std::string_view text, const CsvHeader& header, bool at_eof, std::size_t begin,
                   Index first_line, const std::string& source, int n_threads) {
  Tokenized tok;
  tok.text = text;
  tok.first_line = first_line;
  tok.source = source;
  tok.header = &header;
  const std::size_t n = text.size();
  begin = std::min(begin, n);
  const int threads = csv_threads(n_threads, n - begin);
  const std::size_t bb = block_bytes(n - begin, threads);

  const std::vector<std::size_t> starts =
      candidate_row_starts(text.data(), n, begin, bb, header.dialect, threads);
  tokenize_blocks(tok, starts, at_eof, header, threads);
  verify_blocks(tok, starts, bb, at_eof, header);

  Index row = 0;
  for (auto& b : tok.blocks) {
    b.row0 = row;
    row += b.n_rows;
  }
  tok.n_rows = row;
  tok.consumed = tok.blocks.empty() ? begin : tok.blocks.back().end;
  return tok;
}

std::vector<Index> row_lines(const Tokenized& tok, int n_threads) {
  const auto n_blocks = static_cast<Index>(tok.blocks.size());
  std::vector<Index> block_line(tok.blocks.size(), 0);
  // Newlines between consecutive block starts, then a prefix sum.
  parallel_for(0, n_blocks, n_threads, [&](Index k) {
    const auto kk = static_cast<std::size_t>(k);
    const std::size_t lo = kk == 0 ? 0 : tok.blocks[kk - 1].begin;
    const std::size_t hi = tok.blocks[kk].begin;
    block_line[kk] =
        static_cast<Index>(std::count(tok.text.data() + lo, tok.text.data() + hi, '\n'));
  });
  Index acc = tok.first_line;
  for (auto& l : block_line) {
    acc += l;
    l = acc;
  }
  std::vector<Index> lines(static_cast<std::size_t>(tok.n_rows));
  parallel_for(0, n_blocks, n_threads, [&](Index k) {
    const TokenBlock& b = tok.blocks[static_cast<std::size_t>(k)];
    const char* base = tok.text.data() + b.begin;
    Index line = block_line[static_cast<std::size_t>(k)];
    std::size_t at = 0;
    for (Index r = 0; r < b.n_rows; ++r) {
      const std::size_t off = b.row_offsets[static_cast<std::size_t>(r)];
      line += static_cast<Index>(std::count(base + at, base + off, '\n'));
      at = off;
      lines[static_cast<std::size_t>(b.row0 + r)] = line;
    }
  });
  return lines;
}

// ------------------------------------------------------------------------------------------
// StringDict
// ------------------------------------------------------------------------------------------

// Byte equality of short strings without a call to memcmp.
inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  for (; n >= 8; a += 8, b += 8, n -= 8) {
    std::uint64_t x = 0, y = 0;
    std::memcpy(&x, a, 8);
    std::memcpy(&y, b, 8);
    if (x != y) return false;
  }
  for (; n > 0; ++a, ++b, --n)
    if (*a != *b) return false;
  return true;
}

// Slots hold (hash >> 32) << 32 | (code + 1); 0 is empty. Up to kSmall keys there is no table:
// a linear scan is faster than hashing for the few levels of a typical categorical column.

std::int32_t StringDict::find(std::string_view key) const {
  if (slots_.empty()) {
    for (std::size_t c = 0; c < keys_.size(); ++c)
      if (keys_[c] == key) return static_cast<std::int32_t>(c);
    return -1;
  }
  const std::uint64_t h = hash_bytes(key);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const std::uint64_t e = slots_[i];
    if (e == 0) return -1;
    const auto c = static_cast<std::size_t>((e & 0xFFFFFFFFu) - 1);
    if ((e >> 32) == (h >> 32) && keys_[c] == key) return static_cast<std::int32_t>(c);
  }
}

std::int32_t StringDict::insert(std::string_view key, bool copy, const std::uint64_t* hash) {
  std::size_t slot = 0;
  std::uint64_t h = 0;
  if (slots_.empty()) {
    const std::size_t n = keys_.size();
    const std::string_view* keys = keys_.data();
    for (std::size_t c = 0; c < n; ++c)
      if (keys[c].size() == key.size() && same_bytes(keys[c].data(), key.data(), key.size()))
        return static_cast<std::int32_t>(c);
  } else {
    h = hash != nullptr ? *hash : hash_bytes(key);
    const std::size_t mask = slots_.size() - 1;
    for (slot = h & mask;; slot = (slot + 1) & mask) {
      const std::uint64_t e = slots_[slot];
      if (e == 0) break;
      const auto c = static_cast<std::size_t>((e & 0xFFFFFFFFu) - 1);
      if ((e >> 32) == (h >> 32) && keys_[c] == key) return static_cast<std::int32_t>(c);
    }
  }
  CHURN_CHECK(keys_.size() < static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
              InvalidArgument, "CSV reader: more than 2^31 - 1 distinct values in a column");
  const auto code = static_cast<std::int32_t>(keys_.size());
  if (copy) {
    owned_.emplace_back(key);
    key = owned_.back();
  }
  keys_.push_back(key);
  if (!slots_.empty()) {
    hashes_.push_back(h);
    slots_[slot] = ((h >> 32) << 32) | static_cast<std::uint64_t>(code + 1);
    if (keys_.size() * 2 > slots_.size()) rebuild(slots_.size() * 2);
  } else if (keys_.size() > kSmall) {
    rebuild(64);
  }
  return code;
}

void StringDict::rebuild(std::size_t n_slots) {
  slots_.assign(n_slots, 0);
  const std::size_t mask = n_slots - 1;
  for (std::size_t c = hashes_.size(); c < keys_.size(); ++c)
    hashes_.push_back(hash_bytes(keys_[c]));
  for (std::size_t c = 0; c < keys_.size(); ++c) {
    const std::uint64_t h = hashes_[c];
    std::size_t i = h & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = ((h >> 32) << 32) | static_cast<std::uint64_t>(c + 1);
  }
}

void StringDict::clear() {
  slots_.clear();
  keys_.clear();
  hashes_.clear();
  owned_.clear();
}

}  // namespace detail
}  // namespace churn::data
