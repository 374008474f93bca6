#pragma once
/// @file csv_impl.hpp
/// Private parts of the CSV reader shared by src/data/csv*.cpp (and white-box tests).
///
/// The reader works in two stages:
/// 1. Tokenising (csv_tokenize.cpp): the header is parsed, the text is cut into blocks of whole
///    rows (quote parity gives candidate row boundaries in parallel; each block is then
///    tokenised exactly and the boundaries verified), and every block records, per row and kept
///    column, a 8-byte FieldRef (offset + length + flags) into the text.
/// 2. Converting (csv_convert.cpp): per block task (its columns one after the other, while the
///    block's text and index are in cache), types are inferred and fields converted in parallel;
///    categorical dictionaries are built per block and merged in block order, so codes follow
///    first appearance in the file whatever the thread count. Blocks are small (64-256 KiB of
///    text) so that a block's text and field index fit in a core's L2 cache.

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t, std::uint64_t, std::int32_t
#include <deque>        // std::deque (owned dictionary keys with stable addresses)
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::forward
#include <vector>       // std::vector

#include "churn/data/csv.hpp"
#include "churn/data/table.hpp"
#include "common/hash.hpp"

namespace churn::data {
namespace detail {

// ------------------------------------------------------------------------------------------
// Fields and blocks
// ------------------------------------------------------------------------------------------

/// Quoted field whose content (between the quotes) holds doubled quotes to unescape.
inline constexpr std::uint32_t kFieldEscaped = 1u << 31;
/// Field with text after its closing quote: the span is the raw field, decoded in full.
inline constexpr std::uint32_t kFieldComplex = 1u << 30;
/// Mask of the length bits of FieldRef::len_flags.
inline constexpr std::uint32_t kFieldLenMask = (1u << 30) - 1;

/// One field: `len_flags & kFieldLenMask` bytes at `offset` from its block's first byte.
struct FieldRef {
  std::uint32_t offset;
  std::uint32_t len_flags;
};

/// An allocator whose `resize` leaves new trivial elements uninitialised (no memset of the
/// field index, which is written right after).
template <class T>
struct UninitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitAllocator<U>;
  };
  UninitAllocator() = default;
  template <class U>
  UninitAllocator(const UninitAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// The dialect of a CSV text once the delimiter is known.
struct Dialect {
  char delimiter = ',';
  char quote = '"';
  bool has_quote = true;
  bool trim = true;
};

/// The first malformed row of a block (unterminated quote, ragged row).
struct TokenError {
  std::size_t pos = 0;  ///< absolute byte offset of the offending text
  Index column = -1;    ///< 0-based column in the file
  std::string what;     ///< the reason
  std::string text;     ///< the text found
};

/// A run of whole rows tokenised by one task.
struct TokenBlock {
  std::size_t begin = 0;  ///< absolute offset of the first row
  std::size_t end = 0;    ///< absolute offset just past the last complete row
  Index row0 = 0;         ///< global index of the first row
  Index n_rows = 0;       ///< rows in the block
  std::vector<FieldRef, UninitAllocator<FieldRef>> fields;  ///< n_rows x n_kept, row-major
  std::vector<std::uint32_t> row_offsets;  ///< start of each row, relative to begin
  std::optional<TokenError> error;         ///< first malformed row, if any

  /// Column j's first field (then every n_kept-th): nullptr for a block without rows, whose
  /// field vector is empty (no pointer arithmetic on its null data(): undefined behaviour).
  const FieldRef* column(std::size_t j) const {
    return fields.empty() ? nullptr : fields.data() + j;
  }
};

/// The header and the column selection.
struct CsvHeader {
  Dialect dialect;
  std::vector<std::string> names;  ///< every column of the file
  std::vector<Index> kept;         ///< file positions of the kept columns, in file order
  std::vector<int> slot;           ///< per file column: index into `kept`, or -1
  std::size_t data_begin = 0;      ///< offset of the first data row (after header and BOM)
};

/// A tokenised text.
struct Tokenized {
  std::string_view text;  ///< the whole text (BOM included, offsets count from it)
  Index first_line = 1;   ///< 1-based line number of text[0]
  std::string source;     ///< name used in messages
  const CsvHeader* header = nullptr;
  std::vector<TokenBlock> blocks;
  Index n_rows = 0;
  std::size_t consumed = 0;  ///< offset just past the last complete row
};

/// Block size in bytes used to split the text; 0 (default) picks one from the text size.
/// Tests set it to tiny values to exercise block boundaries on small inputs.
std::size_t& csv_block_bytes_override();

/// Threads used for `bytes` of text: `n_threads` (0 = all cores), but at most one per MiB, as
/// starting threads costs more than it gains on small texts (and small chunks). With
/// csv_block_bytes_override() set (tests), `n_threads` as given.
int csv_threads(int n_threads, std::size_t bytes);

/// Length of a UTF-8 byte order mark at the start of `text` (0 or 3).
std::size_t bom_length(std::string_view text);

/// How the lines of a CSV text end, judged by its first line.
enum class LineEnds : std::uint8_t {
  Unknown,  ///< no line end yet (more text is coming)
  Lf,       ///< '\n' or "\r\n": the tokeniser's own
  Cr,       ///< '\r' alone (classic Mac OS): translate with cr_to_lf() first
};

/// The line ends of `text` (after a BOM), judged by the first one outside quoted fields
/// (`quote` '\0': no quoting). Without any line end: Lf at the end of the text (`at_eof`), else
/// Unknown; a '\r' that is the last byte before more text comes is Unknown too.
LineEnds first_line_end(std::string_view text, char quote, bool at_eof);

/// Turns every '\r' outside quoted fields of `[p, p + n)` into '\n', for a text with CR-only
/// line ends (a "\r\n" that might follow becomes a blank line, which the tokeniser skips).
/// `in_quote` carries the quote state from one piece of a text to the next.
void cr_to_lf(char* p, std::size_t n, char quote, bool& in_quote);

/// The delimiter among ',', ';' and '\t' whose count per line is most consistent over the
/// first lines of `text` (quotes respected); ',' when nothing fits.
char sniff_delimiter(std::string_view text, char quote);

/// Parses the header (or, with `header == false`, counts the columns of the first row) and
/// resolves `usecols`. Returns nullopt when the text holds no complete first row yet
/// (`at_eof == false`).
/// @throws ParseError for an empty text (at EOF) or a malformed header; SchemaError for
///         unknown usecols; InvalidArgument for bad options.
std::optional<CsvHeader> parse_header(std::string_view text, const CsvOptions& options, bool at_eof,
                                      const std::string& source);

/// Tokenises the data rows of `text` from `header.data_begin` (or `begin` when given).
/// With `at_eof == false` a last row not ended by a newline is left out (see `consumed`).
/// @throws ParseError for the first malformed row in the text.
Tokenized tokenize(std::string_view text, const CsvHeader& header, bool at_eof, std::size_t begin,
                   Index first_line, const std::string& source, int n_threads);

/// The 1-based line of every data row of `tok` (rows in order).
std::vector<Index> row_lines(const Tokenized& tok, int n_threads);

/// 1-based line of byte `pos` of `tok.text`.
Index line_of(const Tokenized& tok, std::size_t pos);

/// Decodes a quoted field with escapes or text after its closing quote into `scratch`.
std::string_view decode_field(const char* block_base, FieldRef f, const Dialect& d,
                              std::string& scratch);

/// The text of a field (decoded into `scratch` when quoted with escapes).
inline std::string_view field_text(const char* block_base, FieldRef f, const Dialect& d,
                                   std::string& scratch) {
  if ((f.len_flags & (kFieldEscaped | kFieldComplex)) == 0)
    return {block_base + f.offset, f.len_flags & kFieldLenMask};
  return decode_field(block_base, f, d, scratch);
}

/// Shortens `text` for an error message.
std::string excerpt(std::string_view text, std::size_t max_len = 60);

/// Asks the kernel to back `[p, p + bytes)` with transparent huge pages (Linux; a no-op
/// elsewhere): the large buffers of a big file then take 512x fewer page faults.
void advise_huge_pages(const void* p, std::size_t bytes);

/// `v.resize(n)` with huge pages advised for buffers of 4 MiB and more.
template <class T>
void resize_large(std::vector<T>& v, std::size_t n) {
  if (n * sizeof(T) >= (std::size_t{4} << 20) && v.capacity() < n) {
    v.reserve(n);
    advise_huge_pages(v.data(), n * sizeof(T));
  }
  v.resize(n);
}

// ------------------------------------------------------------------------------------------
// Dictionaries
// ------------------------------------------------------------------------------------------

using common::hash_bytes;  // the one string hash (common/hash.hpp)

/// An insertion-ordered hash set of strings (open addressing): value -> code.
class StringDict {
 public:
  /// The code of `key`, inserting it (copied into owned storage when `copy`) when new.
  std::int32_t insert(std::string_view key, bool copy) { return insert(key, copy, nullptr); }
  /// As insert(key, copy), with `hash_bytes(key)` already known (`*hash`) when not null.
  std::int32_t insert(std::string_view key, bool copy, const std::uint64_t* hash);
  /// hash_bytes of the key with code `code` (stored once the dictionary hashes).
  std::uint64_t hash_of(std::size_t code) const {
    return code < hashes_.size() ? hashes_[code] : hash_bytes(keys_[code]);
  }
  /// The code of `key`, or -1.
  std::int32_t find(std::string_view key) const;
  /// Number of distinct keys.
  std::size_t size() const { return keys_.size(); }
  /// Keys in code order.
  const std::vector<std::string_view>& keys() const { return keys_; }
  /// Removes every key.
  void clear();

 private:
  static constexpr std::size_t kSmall = 8;  // linear scan up to this many keys
  void rebuild(std::size_t n_slots);
  std::vector<std::uint64_t> slots_;  // empty while size() <= kSmall
  std::vector<std::string_view> keys_;
  std::vector<std::uint64_t> hashes_;  // per key, once slots_ is in use
  std::deque<std::string> owned_;
};

// ------------------------------------------------------------------------------------------
// Conversion
// ------------------------------------------------------------------------------------------

/// How to build the kept columns of a tokenised text.
struct ConvertSpec {
  /// Per kept column: the given type, or nullopt to infer it.
  std::vector<std::optional<DType>> types;
  /// Per kept column: the type was fixed by a first chunk (for error hints).
  std::vector<bool> fixed_by_first_chunk;
  /// Per kept column: a dictionary that outlives the call (chunked reading), or nullptr.
  std::vector<StringDict*> dictionaries;
};

/// Builds the table of the kept columns.
/// @throws ParseError for the first field (in file order) that does not fit its column type.
Table convert(const Tokenized& tok, const CsvOptions& options, const ConvertSpec& spec);

/// Parses a number as std::from_chars does, also accepting a leading '+' and mapping
/// overflow to +-inf and underflow to +-0.
bool parse_double(std::string_view s, double& out);
/// Parses a decimal integer (optional sign) that fits int64.
bool parse_int64(std::string_view s, std::int64_t& out);

}  // namespace detail
}  // namespace churn::data
