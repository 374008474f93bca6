// CSV conversion: type inference and per-column conversion of tokenised fields
// (see detail/csv_impl.hpp).

#include <algorithm>     // std::min
#include <charconv>      // std::from_chars
#include <cmath>         // std::isnan, HUGE_VAL
#include <cstring>       // std::memcpy, std::memcmp
#include <limits>        // std::numeric_limits
#include <memory>        // std::unique_ptr
#include <system_error>  // std::errc
#include <utility>       // std::move

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "data/csv_impl.hpp"

namespace churn::data {
namespace detail {

namespace {

// Clinger's fast path: [sign] digits [. digits] with at most 2^53 as the digit string and at
// most 22 decimals is m / 10^k with both exact, so one correctly rounded division gives the same
// double as std::from_chars. Anything else returns false and goes to std::from_chars.
inline bool parse_simple_decimal(const char* p, const char* e, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  bool negative = false;
  if (p != e && (*p == '-' || *p == '+')) {
    negative = *p == '-';
    ++p;
  }
  // At most 19 digits and a point: m cannot overflow, and no per-digit count is needed.
  if (e - p > 20 || p == e) return false;
  std::uint64_t m = 0;
  const char* q = p;
  for (; q != e && static_cast<unsigned char>(*q - '0') < 10u; ++q)
    m = m * 10 + static_cast<unsigned char>(*q - '0');
  const char* digits_end = q;
  long decimals = 0;
  if (q != e && *q == '.') {
    const char* frac = ++q;
    for (; q != e && static_cast<unsigned char>(*q - '0') < 10u; ++q)
      m = m * 10 + static_cast<unsigned char>(*q - '0');
    decimals = q - frac;
  }
  const long digits = (digits_end - p) + decimals;
  if (q != e || digits == 0 || digits > 19 || m > (std::uint64_t{1} << 53) || decimals > 22)
    return false;
  const double v = static_cast<double>(m) / kPow10[decimals];
  out = negative ? -v : v;
  return true;
}

// parse_double without the fast path: std::from_chars, a leading '+', out-of-range values.
bool parse_double_general(const char* b, const char* e, double& out) {
  if (b != e && *b == '+') {
    ++b;
    if (b == e || *b == '+' || *b == '-') return false;
  }
  const auto r = std::from_chars(b, e, out, std::chars_format::general);
  if (r.ptr != e) return false;
  if (r.ec == std::errc()) return true;
  if (r.ec != std::errc::result_out_of_range) return false;
  // Out of range: overflow gives +-inf and underflow +-0, as strtod.
  const bool negative = *b == '-';
  bool overflow = false;
  const char* exp = b;
  while (exp != e && *exp != 'e' && *exp != 'E') ++exp;
  if (exp != e) {
    overflow = exp + 1 != e && exp[1] != '-';
  } else {
    for (const char* p = b; p != e && *p != '.'; ++p) overflow |= *p >= '1' && *p <= '9';
  }
  out = overflow ? (negative ? -HUGE_VAL : HUGE_VAL) : (negative ? -0.0 : 0.0);
  return true;
}

// parse_double with the fast path inlined at the call site.
inline bool parse_number(std::string_view s, double& out) {
  const char* b = s.data();
  const char* e = b + s.size();
  if (__builtin_expect(parse_simple_decimal(b, e, out), 1)) return true;
  return parse_double_general(b, e, out);
}

}  // namespace

bool parse_double(std::string_view s, double& out) {
  const char* b = s.data();
  const char* e = b + s.size();
  return parse_simple_decimal(b, e, out) || parse_double_general(b, e, out);
}

bool parse_int64(std::string_view s, std::int64_t& out) {
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') {
    ++b;
    if (b == e || *b == '-') return false;
  }
  const auto r = std::from_chars(b, e, out);
  return r.ec == std::errc() && r.ptr == e;
}

namespace {

/// Blocks (64-256 KiB of text each) per thread in the first batch between two stop polls (later
/// batches take about 100 ms).
constexpr Index kPollBlocksPerThread = 4;

// NA-like tokens: a (first byte, length) filter, then exact comparison.
class NaMatcher {
 public:
  explicit NaMatcher(const std::vector<std::string>& tokens) {
    for (const auto& t : tokens) {
      if (t.empty()) continue;
      tokens_.push_back(t);
      if (t.size() < 32)
        lengths_[static_cast<unsigned char>(t[0])] |= std::uint32_t{1} << t.size();
      else
        long_tokens_ = true;
    }
  }
  bool operator()(std::string_view s) const {
    if (s.empty()) return true;
    if (s.size() < 32 && !long_tokens_ &&
        ((lengths_[static_cast<unsigned char>(s[0])] >> s.size()) & 1u) == 0)
      return false;
    for (const auto& t : tokens_)
      if (t == s) return true;
    return false;
  }

 private:
  std::vector<std::string> tokens_;
  std::uint32_t lengths_[256] = {};  // per first byte: bit k set when a token has length k
  bool long_tokens_ = false;
};

// What the fields of one (column, block) look like.
enum class Kind : std::uint8_t { Empty, Numeric, Timestamp, Text };

struct TaskError {
  bool set = false;
  Index row = 0;
  std::size_t pos = 0;  // absolute offset of the field
  std::string text;
};

struct TaskState {
  Kind kind = Kind::Empty;
  bool all_int = true;
  bool too_many = false;  // local dictionary exceeded max_categories
  Index non_missing = 0;
  TaskError error;
};

// Output buffers and decisions of one kept column.
struct ColumnWork {
  Index file_col = 0;
  std::string name;
  std::optional<DType> given;
  bool fixed_by_first_chunk = false;
  StringDict* persistent = nullptr;
  DType dtype = DType::Float64;
  bool text_inferred = false;     // inferred text: categorical or string still to decide
  std::shared_ptr<double[]> f64;  // not zero-filled: every row is written before use
  std::vector<std::int64_t> i64;
  bool known_text = false;     // inferred: the first block holds text, so the column is text
  bool strings_first = false;  // known text with mostly distinct values in the first block:
                               // strings are kept first, the dictionary is built to decide
  bool ts_done = false;        // inferred timestamps were converted by the inference pass
  std::vector<std::int32_t> codes;
  std::vector<std::string> strs;
  std::vector<std::uint8_t> valid;
  std::vector<StringDict> local;                 // per block
  std::vector<std::vector<std::int32_t>> remap;  // per block: local code -> global code
  StringDict global;
  std::vector<std::string> categories;
};

// The first few keys of a block's dictionary, matched by length and first 8 bytes: most fields of
// a categorical column match one of them without hashing or a call.
class FewKeys {
 public:
  // The first 8 bytes of the field at `p` (zero-padded when shorter), read in one load when the
  // text goes on for 8 bytes; false when the field cannot be read so (then insert as usual).
  static bool head(const char* p, std::size_t len, const char* text_end, std::uint64_t& h) {
    if (len == 0 || text_end - p < 8) return false;
    std::memcpy(&h, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    if (len < 8) h &= ~std::uint64_t{0} << (8 * (8 - len));
#else
    if (len < 8) h &= ~(~std::uint64_t{0} << (8 * len));
#endif
    return true;
  }
  // The code of the field, or -1.
  std::int32_t find(const char* p, std::size_t len, std::uint64_t h) const {
    for (int k = 0; k < n_; ++k)
      if (len_[k] == len && head_[k] == h &&
          (len <= 8 || std::memcmp(data_[k] + 8, p + 8, len - 8) == 0))
        return code_[k];
    return -1;
  }
  void add(const char* p, std::size_t len, std::uint64_t h, std::int32_t code) {
    if (n_ == kMax) return;
    head_[n_] = h;
    len_[n_] = len;
    data_[n_] = p;
    code_[n_] = code;
    ++n_;
  }

 private:
  static constexpr int kMax = 8;
  std::uint64_t head_[kMax] = {};
  std::size_t len_[kMax] = {};
  const char* data_[kMax] = {};
  std::int32_t code_[kMax] = {};
  int n_ = 0;
};

// n doubles, not zero-filled (fresh pages are then first touched by the threads that fill them).
std::shared_ptr<double[]> uninit_doubles(std::size_t n) {
  std::shared_ptr<double[]> p(new double[std::max<std::size_t>(n, 1)]);
  if (n > 0) advise_huge_pages(p.get(), n * sizeof(double));
  return p;
}

bool looks_like_date(std::string_view s) {
  return s.size() >= 10 && s[4] == '-' && s[7] == '-' && s[0] >= '0' && s[0] <= '9';
}

// parse_timestamp limited to the years int64 nanoseconds can hold (1678..2261): outside them
// the text is no valid timestamp (and parse_timestamp would overflow).
std::optional<std::int64_t> parse_ts(std::string_view s) {
  if (s.size() < 4) return std::nullopt;
  int year = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = s[static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return std::nullopt;
    year = year * 10 + (c - '0');
  }
  if (year < 1678 || year > 2261) return std::nullopt;
  return parse_timestamp(s);
}

// Infers the kind of the fields of one (column, block), stopping at the first text field. Missing
// fields and numbers go to `out_f`, missing fields and timestamps to `out_t` (each if not null).
template <class IsNa>
void infer_fields(const char* base, const FieldRef* f, Index stride, Index n_rows, const Dialect& d,
                  const IsNa& is_na, bool infer_int64, double* out_f, std::int64_t* out_t,
                  TaskState& st) {
  std::string scratch;
  Kind kind = Kind::Empty;
  bool all_int = true;
  auto missing = [&](Index r) {
    if (out_f != nullptr) out_f[r] = kMissing;
    if (out_t != nullptr) out_t[r] = kNaT;
  };
  for (Index r = 0; r < n_rows && kind != Kind::Text; ++r) {
    const std::string_view sv = field_text(base, f[r * stride], d, scratch);
    double v = 0;
    if (sv.empty()) {
      missing(r);
    } else if (kind != Kind::Timestamp && !looks_like_date(sv) && parse_number(sv, v)) {
      if (std::isnan(v) && is_na(sv)) {
        missing(r);
        continue;
      }
      if (out_f != nullptr) out_f[r] = v;
      kind = Kind::Numeric;
      if (infer_int64 && all_int) {
        std::int64_t iv = 0;
        all_int = parse_int64(sv, iv);
      }
    } else if (is_na(sv)) {
      missing(r);
    } else if ((kind == Kind::Empty || kind == Kind::Timestamp) && looks_like_date(sv)) {
      const auto ts = parse_ts(sv);
      if (!ts) {
        kind = Kind::Text;
        continue;
      }
      if (out_t != nullptr) out_t[r] = *ts;
      kind = Kind::Timestamp;
    } else {
      kind = Kind::Text;
    }
  }
  st.kind = kind;
  st.all_int = all_int;
}

// ------------------------------------------------------------------------------------------
// The conversion, phase by phase. convert() (at the bottom) runs them in order:
//   0. set up the kept columns (given types; for inferred ones, a look at the first block),
//   1. parse given numbers and timestamps; infer the kind of the other columns per block,
//   2. decide the inferred types; fill inferred int64/timestamps, block dictionaries, strings,
//   3. merge each column's block dictionaries in block order,
//   4. remap codes to the merged dictionaries; fill inferred text that became strings,
//   5. assemble the table.
// Phases 1, 2 and 4 run one task per block (all columns in turn), phase 3 one per column.
// ------------------------------------------------------------------------------------------

// What the phases share: the tokens, the options, the kept columns and one TaskState per
// (column j, block b) task, at state[j * nb + b].
struct ConvertContext {
  ConvertContext(const Tokenized& t, const CsvOptions& o)
      : tok(t),
        options(o),
        d(t.header->dialect),
        nk(t.header->kept.size()),
        nb(t.blocks.size()),
        n(static_cast<std::size_t>(t.n_rows)),
        threads(csv_threads(o.n_threads, t.text.size())),
        is_na(o.na_values),
        cols(nk) {}
  const Tokenized& tok;
  const CsvOptions& options;
  const Dialect& d;
  const std::size_t nk;  // kept columns
  const std::size_t nb;  // blocks
  const std::size_t n;   // rows
  const int threads;
  const NaMatcher is_na;
  std::vector<ColumnWork> cols;
  std::vector<TaskState> state;
};

// One task per block, all columns in turn: the block's text and field index stay in cache.
// With `poll`, the blocks go in batches with a stop poll between them (phases 1-2, before
// a chunk reader's dictionaries change). Calls body(column, j, block, b, state of (j, b)).
template <class Body>
void for_each_task(ConvertContext& cx, const Body& body, bool poll = false) {
  const auto n_blocks = static_cast<Index>(cx.nb);
  auto run = [&](Index b0, Index b1) {
    parallel_for_blocks(b0, b1, 1, cx.threads, [&](Index lo, Index hi) {
      for (Index bb = lo; bb < hi; ++bb) {
        const auto b = static_cast<std::size_t>(bb);
        for (std::size_t j = 0; j < cx.nk; ++j)
          body(cx.cols[j], j, cx.tok.blocks[b], b, cx.state[j * cx.nb + b]);
      }
    });
  };
  if (poll) {
    churn::detail::run_polled_batches(0, n_blocks, kPollBlocksPerThread * cx.threads, run);
  } else {
    run(0, n_blocks);
  }
}

// --- Phase 0: the kept columns --------------------------------------------------------------

// Would the first block alone be a string column (an identifier)? Then its strings are kept
// from the start instead of per-block dictionaries (the type is still decided on the whole
// column, exactly).
bool first_block_mostly_distinct(const ConvertContext& cx, std::size_t j) {
  const TokenBlock& b0 = cx.tok.blocks[0];
  StringDict probe;
  Index non_missing = 0;
  std::string scratch;
  const char* base = cx.tok.text.data() + b0.begin;
  for (Index r = 0; r < b0.n_rows; ++r) {
    const FieldRef fr = b0.fields[static_cast<std::size_t>(r) * cx.nk + j];
    const std::string_view sv = field_text(base, fr, cx.d, scratch);
    if (cx.is_na(sv)) continue;
    ++non_missing;
    probe.insert(sv, (fr.len_flags & (kFieldEscaped | kFieldComplex)) != 0);
  }
  return non_missing >= 16 &&
         static_cast<double>(probe.size()) >
             cx.options.max_categorical_ratio * static_cast<double>(non_missing);
}

// The first block's kind picks the buffers of the inference pass: text needs none (the
// column is text whatever follows), timestamps are kept as they are parsed.
void probe_first_block(const ConvertContext& cx, ColumnWork& c, std::size_t j) {
  TaskState first;
  const TokenBlock& b0 = cx.tok.blocks[0];
  infer_fields(cx.tok.text.data() + b0.begin, b0.column(j), static_cast<Index>(cx.nk), b0.n_rows,
               cx.d, cx.is_na, cx.options.infer_int64, nullptr, nullptr, first);
  c.known_text = first.kind == Kind::Text;
  c.ts_done = first.kind == Kind::Timestamp;
  if (c.known_text) c.strings_first = first_block_mostly_distinct(cx, j);
}

// Column j's name, given type and dictionary, and the buffers phase 1 writes.
void init_column(ConvertContext& cx, const ConvertSpec& spec, std::size_t j) {
  const CsvHeader& h = *cx.tok.header;
  const std::size_t n = cx.n;
  ColumnWork& c = cx.cols[j];
  c.file_col = h.kept[j];
  c.name = h.names[static_cast<std::size_t>(c.file_col)];
  c.given = j < spec.types.size() ? spec.types[j] : std::nullopt;
  c.fixed_by_first_chunk = j < spec.fixed_by_first_chunk.size() && spec.fixed_by_first_chunk[j];
  c.persistent = j < spec.dictionaries.size() ? spec.dictionaries[j] : nullptr;
  if (!c.given && cx.nb > 0) probe_first_block(cx, c, j);
  if ((!c.given && !c.known_text && !c.ts_done) || (c.given && *c.given == DType::Float64))
    c.f64 = uninit_doubles(n);
  if (c.ts_done || (c.given && (*c.given == DType::Int64 || *c.given == DType::Timestamp)))
    resize_large(c.i64, n);
  if (c.given && *c.given == DType::Int64) c.valid.assign(n, 1);
  if (c.given) c.dtype = *c.given;
}

// --- Phase 1: given numbers and timestamps; inference -------------------------------------

// Records the bad field `sv` (row r of `blk`) as the task's error.
void set_error(TaskState& st, const TokenBlock& blk, Index r, FieldRef fr, std::string_view sv) {
  st.error = TaskError{true, blk.row0 + r, blk.begin + fr.offset, excerpt(sv)};
}

// A given float64 column: numbers, missing fields and NA tokens.
void parse_float64_fields(const ConvertContext& cx, ColumnWork& c, std::size_t j,
                          const TokenBlock& blk, TaskState& st) {
  const Dialect& d = cx.d;
  const NaMatcher& is_na = cx.is_na;
  const char* base = cx.tok.text.data() + blk.begin;
  const FieldRef* f = blk.column(j);
  const auto stride = static_cast<Index>(cx.nk);
  std::string scratch;
  double* out = c.f64.get() + static_cast<std::size_t>(blk.row0);
  for (Index r = 0; r < blk.n_rows; ++r) {
    const FieldRef fr = f[r * stride];
    const std::string_view sv = field_text(base, fr, d, scratch);
    double v = 0;
    if (sv.empty()) {
      out[r] = kMissing;
    } else if (parse_number(sv, v)) {
      out[r] = v;
    } else if (is_na(sv)) {
      out[r] = kMissing;
    } else {
      set_error(st, blk, r, fr, sv);
      return;
    }
  }
}

// A given int64 column: integers; missing fields and NA tokens are invalid rows.
void parse_int64_fields(const ConvertContext& cx, ColumnWork& c, std::size_t j,
                        const TokenBlock& blk, TaskState& st) {
  const Dialect& d = cx.d;
  const NaMatcher& is_na = cx.is_na;
  const char* base = cx.tok.text.data() + blk.begin;
  const FieldRef* f = blk.column(j);
  const auto stride = static_cast<Index>(cx.nk);
  const auto row0 = static_cast<std::size_t>(blk.row0);
  std::string scratch;
  std::int64_t* out = c.i64.data() + row0;
  std::uint8_t* valid = c.valid.data() + row0;
  for (Index r = 0; r < blk.n_rows; ++r) {
    const FieldRef fr = f[r * stride];
    const std::string_view sv = field_text(base, fr, d, scratch);
    std::int64_t v = 0;
    if (!sv.empty() && parse_int64(sv, v)) {
      out[r] = v;
    } else if (is_na(sv)) {
      out[r] = 0;
      valid[r] = 0;
    } else {
      set_error(st, blk, r, fr, sv);
      return;
    }
  }
}

// A given timestamp column: ISO 8601 dates and times; missing fields and NA tokens are NaT.
void parse_timestamp_fields(const ConvertContext& cx, ColumnWork& c, std::size_t j,
                            const TokenBlock& blk, TaskState& st) {
  const Dialect& d = cx.d;
  const NaMatcher& is_na = cx.is_na;
  const char* base = cx.tok.text.data() + blk.begin;
  const FieldRef* f = blk.column(j);
  const auto stride = static_cast<Index>(cx.nk);
  std::string scratch;
  std::int64_t* out = c.i64.data() + static_cast<std::size_t>(blk.row0);
  for (Index r = 0; r < blk.n_rows; ++r) {
    const FieldRef fr = f[r * stride];
    const std::string_view sv = field_text(base, fr, d, scratch);
    if (is_na(sv)) {
      out[r] = kNaT;
      continue;
    }
    const auto ts = parse_ts(sv);
    if (!ts) {
      set_error(st, blk, r, fr, sv);
      return;
    }
    out[r] = *ts;
  }
}

// The task of (column j, block): converts a given number or timestamp column, or infers the
// kind of an inferred one (numbers and timestamps kept in the buffers phase 0 chose).
void parse_or_infer(const ConvertContext& cx, ColumnWork& c, std::size_t j, const TokenBlock& blk,
                    TaskState& st) {
  if (c.given && (*c.given == DType::Categorical || *c.given == DType::String)) return;
  if (!c.given) {
    if (c.known_text) {
      st.kind = Kind::Text;
      return;
    }
    const auto row0 = static_cast<std::size_t>(blk.row0);
    infer_fields(cx.tok.text.data() + blk.begin, blk.column(j), static_cast<Index>(cx.nk),
                 blk.n_rows, cx.d, cx.is_na, cx.options.infer_int64,
                 c.f64 ? c.f64.get() + row0 : nullptr, c.ts_done ? c.i64.data() + row0 : nullptr,
                 st);
    return;
  }
  switch (*c.given) {
    case DType::Float64: parse_float64_fields(cx, c, j, blk, st); break;
    case DType::Int64: parse_int64_fields(cx, c, j, blk, st); break;
    case DType::Timestamp: parse_timestamp_fields(cx, c, j, blk, st); break;
    default: break;
  }
}

// Why `text` does not fit the given type `t` of column `c`, with a hint.
std::string type_error_reason(const ColumnWork& c, DType t, const std::string& text) {
  std::ostringstream why;
  if (t == DType::Timestamp)
    why << "invalid date '" << text
        << "' in a timestamp column (expected ISO 8601: YYYY-MM-DD[THH:MM[:SS[.f]]][Z|+HH:MM], "
           "years 1678 to 2261)";
  else
    why << "cannot read '" << text << "' as " << dtype_name(t);
  if (c.fixed_by_first_chunk)
    why << "; the column's type was inferred from the first chunk: pass "
           "CsvOptions::column_types (e.g. {\""
        << c.name << "\", DType::String}) to fix its type";
  else if (t == DType::Int64)
    why << " (an integer; use float64 for decimals)";
  return why.str();
}

// Throws the first bad field in file order (row, then column), whatever the thread count.
void throw_first_error(const ConvertContext& cx) {
  const TaskState* first = nullptr;
  std::size_t first_col = 0;
  for (std::size_t t = 0; t < cx.state.size(); ++t) {
    const TaskState& st = cx.state[t];
    const std::size_t j = t / cx.nb;
    if (st.error.set && (first == nullptr || st.error.row < first->error.row ||
                         (st.error.row == first->error.row && j < first_col))) {
      first = &st;
      first_col = j;
    }
  }
  if (first == nullptr) return;
  const ColumnWork& c = cx.cols[first_col];
  CHURN_THROW(ParseError, cx.tok.source
                              << ": line " << line_of(cx.tok, first->error.pos) << ", column '"
                              << c.name << "' (" << c.file_col + 1
                              << "): " << type_error_reason(c, *c.given, first->error.text)
                              << "; text found: '" << first->error.text << "'");
}

// --- Phase 2: inferred types; values, block dictionaries and strings ----------------------

// The type of inferred column j from the kinds of its blocks, and its value buffers.
void decide_inferred_type(ConvertContext& cx, std::size_t j) {
  ColumnWork& c = cx.cols[j];
  const std::size_t n = cx.n;
  bool numeric = false, timestamp = false, text = false, all_int = true;
  for (std::size_t b = 0; b < cx.nb; ++b) {
    const TaskState& st = cx.state[j * cx.nb + b];
    numeric |= st.kind == Kind::Numeric;
    timestamp |= st.kind == Kind::Timestamp;
    text |= st.kind == Kind::Text;
    if (st.kind == Kind::Numeric) all_int &= st.all_int;
  }
  if (text || (numeric && timestamp)) {
    c.dtype = DType::Categorical;
    c.text_inferred = true;
  } else if (timestamp) {
    c.dtype = DType::Timestamp;
  } else if (numeric && cx.options.infer_int64 && all_int) {
    c.dtype = DType::Int64;
  } else {
    c.dtype = DType::Float64;
  }
  if (c.dtype != DType::Float64) c.f64.reset();
  if (c.dtype != DType::Timestamp) c.ts_done = false;
  if (!c.ts_done) std::vector<std::int64_t>().swap(c.i64);
  if (c.dtype == DType::Int64 || c.dtype == DType::Timestamp) resize_large(c.i64, n);
  if (c.dtype == DType::Int64) c.valid.assign(n, 1);
}

// The buffers of a text column: strings (with validity), or codes and block dictionaries.
void allocate_text_buffers(ColumnWork& c, std::size_t n, std::size_t nb) {
  if (c.dtype == DType::Categorical && c.strings_first) {
    resize_large(c.strs, n);
    c.valid.assign(n, 1);
  } else if (c.dtype == DType::Categorical) {
    resize_large(c.codes, n);
    c.local.resize(nb);
    c.remap.resize(nb);
  }
  if (c.dtype == DType::String) {
    resize_large(c.strs, n);
    c.valid.assign(n, 1);
  }
}

// Decides the inferred types and readies the buffers and task states of phase 2.
void decide_types(ConvertContext& cx) {
  for (std::size_t j = 0; j < cx.nk; ++j)
    if (!cx.cols[j].given) decide_inferred_type(cx, j);
  for (auto& c : cx.cols) allocate_text_buffers(c, cx.n, cx.nb);
  for (auto& st : cx.state) st = TaskState{};
}

// The task of (column j, block b): inferred int64/timestamp values, codes into the block's
// dictionary (FewKeys first), strings; NA tokens are missing values. Counts the non-missing
// text fields and notes a block dictionary over max_categories (inferred text).
void fill_values(const ConvertContext& cx, ColumnWork& c, std::size_t j, const TokenBlock& blk,
                 std::size_t b, TaskState& st) {
  const bool inferred_int = !c.given && c.dtype == DType::Int64;
  const bool inferred_ts = !c.given && c.dtype == DType::Timestamp && !c.ts_done;
  if (!inferred_int && !inferred_ts && c.dtype != DType::Categorical && c.dtype != DType::String)
    return;
  const Dialect& d = cx.d;
  const NaMatcher& is_na = cx.is_na;
  const Index max_categories = cx.options.max_categories;
  const char* base = cx.tok.text.data() + blk.begin;
  const FieldRef* f = blk.column(j);
  const Index stride = static_cast<Index>(cx.nk);
  const auto row0 = static_cast<std::size_t>(blk.row0);
  const char* text_end = cx.tok.text.data() + cx.tok.text.size();
  FewKeys few;
  std::string scratch;
  for (Index r = 0; r < blk.n_rows; ++r) {
    const FieldRef fr = f[r * stride];
    const std::string_view sv = field_text(base, fr, d, scratch);
    const std::size_t i = row0 + static_cast<std::size_t>(r);
    if (inferred_int) {
      std::int64_t v = 0;
      if (!sv.empty() && parse_int64(sv, v)) {
        c.i64[i] = v;
      } else {
        c.i64[i] = 0;
        c.valid[i] = 0;
      }
    } else if (inferred_ts) {
      const auto ts = is_na(sv) ? std::nullopt : parse_ts(sv);
      c.i64[i] = ts ? *ts : kNaT;
    } else if (c.strings_first) {
      if (is_na(sv)) {
        c.valid[i] = 0;
      } else {
        ++st.non_missing;
        c.strs[i].assign(sv);
      }
    } else if (c.dtype == DType::Categorical) {
      if (is_na(sv)) {
        c.codes[i] = kMissingCode;
        continue;
      }
      ++st.non_missing;
      if (st.too_many) continue;
      const bool decoded = (fr.len_flags & (kFieldEscaped | kFieldComplex)) != 0;
      std::uint64_t head8 = 0;
      const bool plain = !decoded && FewKeys::head(sv.data(), sv.size(), text_end, head8);
      if (plain) {
        const std::int32_t code = few.find(sv.data(), sv.size(), head8);
        if (code >= 0) {
          c.codes[i] = code;
          continue;
        }
      }
      c.codes[i] = c.local[b].insert(sv, decoded);
      if (plain) few.add(sv.data(), sv.size(), head8, c.codes[i]);
      if (c.text_inferred && static_cast<Index>(c.local[b].size()) > max_categories)
        st.too_many = true;
    } else {  // String
      if (is_na(sv))
        c.valid[i] = 0;
      else
        c.strs[i].assign(sv);
    }
  }
}

// --- Phase 3: dictionary merge ------------------------------------------------------------

// Inferred text with too many distinct values becomes a string column. Only a first chunk (or
// a whole-file read) infers: a dictionary that was empty before is emptied again.
void become_strings(ColumnWork& c, StringDict& g, std::size_t before) {
  if (before == 0) g.clear();
  c.dtype = DType::String;
}

// A strings-first column: the distinct values in file order, until there are too many; then
// codes from the merged dictionary (or a string column).
void merge_strings_first(ColumnWork& c, StringDict& g, bool copy, double limit, bool too_many,
                         std::size_t n) {
  const std::size_t before = g.size();
  for (std::size_t i = 0; i < n && !too_many; ++i)
    if (c.valid[i] != 0) {
      g.insert(c.strs[i], copy);
      too_many = static_cast<double>(g.size()) > limit;
    }
  if (too_many) {
    become_strings(c, g, before);
    return;
  }
  resize_large(c.codes, n);
  for (std::size_t i = 0; i < n; ++i)
    c.codes[i] = c.valid[i] != 0 ? g.find(c.strs[i]) : kMissingCode;
  c.categories.assign(g.keys().begin(), g.keys().end());
  std::vector<std::string>().swap(c.strs);
  std::vector<std::uint8_t>().swap(c.valid);
}

// The block dictionaries in block order (each with its remap, local code -> merged code),
// until there are too many values; then the string buffers phase 4 fills.
void merge_block_dictionaries(ColumnWork& c, StringDict& g, bool copy, double limit, bool too_many,
                              std::size_t n, std::size_t nb) {
  const std::size_t before = g.size();
  for (std::size_t b = 0; b < nb && !too_many; ++b) {
    const StringDict& local = c.local[b];
    const auto& keys = local.keys();
    auto& remap = c.remap[b];
    remap.resize(keys.size());
    for (std::size_t k = 0; k < keys.size(); ++k) {
      const std::uint64_t key_hash = local.hash_of(k);
      remap[k] = g.insert(keys[k], copy, &key_hash);
      if (static_cast<double>(g.size()) > limit) {
        too_many = true;
        break;
      }
    }
  }
  if (too_many) {
    become_strings(c, g, before);
    std::vector<std::int32_t>().swap(c.codes);
    c.local.clear();
    resize_large(c.strs, n);
    c.valid.assign(n, 1);
  } else {
    c.categories.assign(g.keys().begin(), g.keys().end());
  }
}

// Merges the dictionaries of categorical column j into its persistent (chunked reading) or own
// dictionary, so codes follow first appearance in the file; inferred text may hold at most
// max_categories values and max_categorical_ratio of its non-missing fields.
void merge_column(ConvertContext& cx, std::size_t j) {
  ColumnWork& c = cx.cols[j];
  if (c.dtype != DType::Categorical) return;
  Index non_missing = 0;
  bool too_many = false;
  for (std::size_t b = 0; b < cx.nb; ++b) {
    non_missing += cx.state[j * cx.nb + b].non_missing;
    too_many |= cx.state[j * cx.nb + b].too_many;
  }
  StringDict& g = c.persistent != nullptr ? *c.persistent : c.global;
  const bool copy = c.persistent != nullptr;
  const double limit =
      c.text_inferred
          ? std::min(static_cast<double>(cx.options.max_categories),
                     cx.options.max_categorical_ratio * static_cast<double>(non_missing))
          : std::numeric_limits<double>::infinity();
  if (c.strings_first)
    merge_strings_first(c, g, copy, limit, too_many, cx.n);
  else
    merge_block_dictionaries(c, g, copy, limit, too_many, cx.n, cx.nb);
}

// Phase 3, one task per column.
void merge_dictionaries(ConvertContext& cx) {
  parallel_for_blocks(0, static_cast<Index>(cx.nk), 1, cx.threads, [&](Index lo, Index hi) {
    for (Index jj = lo; jj < hi; ++jj) merge_column(cx, static_cast<std::size_t>(jj));
  });
}

// --- Phase 4: remap codes; strings of inferred text ---------------------------------------

// The task of (column j, block b): codes from the block's dictionary to the merged one, or the
// strings of inferred text that turned out a string column.
void remap_or_fill_strings(const ConvertContext& cx, ColumnWork& c, std::size_t j,
                           const TokenBlock& blk, std::size_t b) {
  const auto row0 = static_cast<std::size_t>(blk.row0);
  if (c.dtype == DType::Categorical && !c.strings_first) {
    const auto& remap = c.remap[b];
    std::int32_t* codes = c.codes.data() + row0;
    for (Index r = 0; r < blk.n_rows; ++r)
      if (codes[r] >= 0) codes[r] = remap[static_cast<std::size_t>(codes[r])];
  } else if (c.dtype == DType::String && c.text_inferred && !c.strings_first) {
    const Dialect& d = cx.d;
    const NaMatcher& is_na = cx.is_na;
    const char* base = cx.tok.text.data() + blk.begin;
    const FieldRef* f = blk.column(j);
    const auto stride = static_cast<Index>(cx.nk);
    std::string scratch;
    for (Index r = 0; r < blk.n_rows; ++r) {
      const std::string_view sv = field_text(base, f[r * stride], d, scratch);
      const std::size_t i = row0 + static_cast<std::size_t>(r);
      if (is_na(sv))
        c.valid[i] = 0;
      else
        c.strs[i].assign(sv);
    }
  }
}

// --- Phase 5: the table -------------------------------------------------------------------

// The table of the converted columns (their buffers moved in).
Table assemble_table(ConvertContext& cx) {
  std::vector<Column> out;
  out.reserve(cx.nk);
  for (auto& c : cx.cols) {
    switch (c.dtype) {
      case DType::Float64: {
        const double* data = c.f64.get();
        out.push_back(Column::from_float64_view(c.name, data, static_cast<Index>(cx.n),
                                                std::shared_ptr<const void>(std::move(c.f64))));
        break;
      }
      case DType::Int64:
        out.push_back(Column::from_int64(c.name, std::move(c.i64), std::move(c.valid)));
        break;
      case DType::Timestamp: out.push_back(Column::from_timestamp(c.name, std::move(c.i64))); break;
      case DType::Categorical:
        out.push_back(Column::from_codes(c.name, std::move(c.codes), std::move(c.categories)));
        break;
      case DType::String:
        out.push_back(Column::from_strings(c.name, std::move(c.strs), std::move(c.valid)));
        break;
    }
  }
  return Table(std::move(out));
}

}  // namespace

Table convert(const Tokenized& tok, const CsvOptions& options, const ConvertSpec& spec) {
  ConvertContext cx(tok, options);
  for (std::size_t j = 0; j < cx.nk; ++j) init_column(cx, spec, j);
  cx.state.resize(cx.nk * cx.nb);

  for_each_task(
      cx,
      [&](ColumnWork& c, std::size_t j, const TokenBlock& blk, std::size_t, TaskState& st) {
        parse_or_infer(cx, c, j, blk, st);
      },
      /*poll=*/true);
  throw_first_error(cx);

  decide_types(cx);
  for_each_task(
      cx,
      [&](ColumnWork& c, std::size_t j, const TokenBlock& blk, std::size_t b, TaskState& st) {
        fill_values(cx, c, j, blk, b, st);
      },
      /*poll=*/true);

  merge_dictionaries(cx);

  for_each_task(cx, [&](ColumnWork& c, std::size_t j, const TokenBlock& blk, std::size_t b,
                        TaskState&) { remap_or_fill_strings(cx, c, j, blk, b); });

  return assemble_table(cx);
}

}  // namespace detail
}  // namespace churn::data
