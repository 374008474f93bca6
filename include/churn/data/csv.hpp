#pragma once
/// @file csv.hpp
/// CSV in and out.
///
/// Reading: header, RFC 4180 quoting (embedded delimiters, doubled quotes, newlines inside
/// quotes), UTF-8 BOM, LF, CRLF or CR-only line ends, a delimiter given or sniffed among `,` `;`
/// and tab, NA-like tokens as missing, types inferred or taken from a schema, whole-file or
/// chunked, gzip-compressed or not.
///
/// Input: only regular files are read (a directory, FIFO, device or socket is an IOError before
/// anything is read). gzip data (the magic bytes 1f 8b, whatever the file name; also in
/// parse_csv's text) is decompressed with zlib, every member of a concatenated file in turn;
/// damaged or truncated gzip data is an IOError.
///
/// Type inference (when no type is given for a column): every non-missing field parses as a
/// number -> Float64 (or Int64 when all are integers and `infer_int64` is set); every field is an
/// ISO 8601 date/date-time -> Timestamp; otherwise text: Categorical when the column has at most
/// `max_categorical_ratio` x its non-missing count distinct values (and at most
/// `max_categories`), else String. An all-missing column is Float64. In chunked reading the
/// types are fixed by the first chunk; categorical dictionaries grow across chunks.
///
/// Errors: a bad field (an unterminated quote, a ragged row, text in a numeric column, an
/// invalid date) raises `ParseError` whose message names the file, the 1-based line, the
/// column (name and 1-based position) and the text found. When several fields are bad, the first
/// in file order is reported, whatever the thread count.
///
/// Details of the dialect:
/// - Lines holding only spaces, tabs or '\r' are skipped (they still count for line numbers).
/// - Line ends are judged by the first one outside quotes: when it is a '\r' not followed by
///   '\n' (classic Mac OS files), every '\r' outside quoted fields ends a line (as in pandas);
///   a '\r' inside a quoted field stays in the field. Otherwise lines end at '\n' (a '\r'
///   before it is dropped) and a lone '\r' is data.
/// - A quote opens a quoted field only at the start of a field (after blanks when `trim`); a
///   quote inside an unquoted field is literal (`5'3"`); text after a closing quote is kept
///   (`"ab"cd` reads as `abcd`), as pandas and Python's csv module do.
/// - Quoted fields are never trimmed; the NA tokens and the empty field are missing whether
///   quoted or not.
/// - Numbers: what `std::from_chars` accepts (no locale, exact rounding), plus a leading '+';
///   `inf`/`nan` are numbers; overflow gives +-inf. Int64: decimal integers only.
/// - Timestamps: ISO 8601 as `parse_timestamp`, years 1678 to 2261 (the int64 nanosecond range).
/// - Repeated header names get a suffix (`x`, `x.1`, `x.2`); an empty name becomes `column_<j>`.
/// - `usecols` keeps the columns in file order.
///
/// Performance: read_csv maps the file into memory (the file must not be truncated while it is
/// read), finds row boundaries from quote parity in parallel (verified while tokenising, so a
/// literal quote in an unquoted field cannot misplace them), tokenises cache-sized blocks of
/// rows in parallel into an 8-byte-per-field index (plain rows 16 bytes at a time with SSE2),
/// then infers and converts the blocks in parallel, all columns of a block in one task. Small
/// texts (under 1 MiB per thread) use fewer threads. Results, categorical code order (first
/// appearance in the file) and error messages do not depend on `n_threads`.

#include <functional>  // std::function
#include <map>         // std::map
#include <memory>      // std::unique_ptr
#include <optional>    // std::optional
#include <string>      // std::string
#include <vector>      // std::vector

#include "churn/data/table.hpp"

namespace churn::data {

class Schema;  // churn/data/schema.hpp

/// Options of read_csv and CsvChunkReader.
struct CsvOptions {
  /// Field delimiter; '\0' sniffs ',', ';' or '\t' from the first lines.
  char delimiter = '\0';
  /// Quote character.
  char quote = '"';
  /// First line is a header with the column names. Without it columns are named
  /// "column_1", "column_2", ...
  bool header = true;
  /// Tokens read as missing (after trimming, when `trim` is set). The empty field is always
  /// missing.
  std::vector<std::string> na_values = {"NA",   "N/A",  "n/a",  "NaN",  "nan",
                                        "-NaN", "-nan", "NULL", "null", "None",
                                        "#N/A", "#NA",  "<NA>", "NaT",  "?"};
  /// Strip spaces and tabs around unquoted fields (" " becomes empty, hence missing).
  bool trim = true;
  /// Types of some columns, by name; others are inferred. Names not in the file raise
  /// SchemaError.
  std::map<std::string, DType> column_types;
  /// Only these columns are kept (all when empty); unknown names raise SchemaError.
  std::vector<std::string> usecols;
  /// Integer-only columns become Int64 instead of Float64.
  bool infer_int64 = false;
  /// Inferred text columns are Categorical when distinct <= ratio x non-missing values.
  double max_categorical_ratio = 0.5;
  /// ... and when they have at most this many distinct values.
  Index max_categories = 100000;
  /// Threads for parsing (0 = all cores).
  int n_threads = 0;
  /// The file name used in error messages (read_csv sets it to the path).
  std::string source_name;
};

/// Reads a whole CSV file into a Table.
/// @throws IOError if the file cannot be read, is not a regular file or holds damaged gzip
///         data; ParseError for a malformed field or an empty
///         file; SchemaError for unknown names in `column_types` or `usecols`; Interrupted
///         when a StopScope asks to stop (polled between groups of 64-256 KiB blocks; the same
///         for parse_csv() and CsvChunkReader::next(), which then leaves the reader where it
///         was).
/// @code
/// auto t = churn::data::read_csv("customers.csv");
/// @endcode
Table read_csv(const std::string& path, const CsvOptions& options = {});

/// Reads a CSV file with column types from `schema`, then validates the table against it.
/// @throws SchemaError with every violation (column, row, line, value, rule) when the data breaks
///         the contract, or a column is missing/unknown; ParseError/IOError as read_csv.
Table read_csv(const std::string& path, const Schema& schema, const CsvOptions& options = {});

/// Parses CSV text already in memory (same rules as read_csv; `options.source_name` names it in
/// messages, "<string>" by default).
Table parse_csv(std::string_view text, const CsvOptions& options = {});

/// Reads a CSV file in chunks of about `chunk_bytes` bytes of text (always whole rows), so a
/// file larger than memory can be processed; every chunk has the same columns and types.
///
/// The first chunk fixes the types of the columns not in `column_types` (including categorical
/// versus string); a later value that does not fit raises `ParseError` naming its line in the
/// whole file and suggesting `column_types`. Categorical dictionaries only grow, so a code means
/// the same category in every chunk, and `Table::concat` of all chunks equals `read_csv` of the
/// file when the first chunk infers the same types as the whole file (pass `column_types` to be
/// sure). A row longer than `chunk_bytes` makes a larger chunk.
/// @code
/// churn::data::CsvChunkReader reader("events.csv", {}, 64 << 20);
/// while (auto chunk = reader.next()) process(*chunk);
/// @endcode
///
/// Thread safety: one thread at a time (next() advances the reader); distinct readers are
/// independent.
class CsvChunkReader {
 public:
  /// Opens the file and reads the header.
  /// @throws IOError (as read_csv), ParseError (empty file), InvalidArgument (chunk_bytes < 1).
  CsvChunkReader(const std::string& path, CsvOptions options = {},
                 std::size_t chunk_bytes = 64u << 20);
  ~CsvChunkReader();
  CsvChunkReader(const CsvChunkReader&) = delete;
  CsvChunkReader& operator=(const CsvChunkReader&) = delete;

  /// The next chunk, or nullopt at the end of the file.
  /// @throws ParseError naming the line in the whole file.
  std::optional<Table> next();
  /// Column names from the header.
  const std::vector<std::string>& column_names() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Options of write_csv.
struct CsvWriteOptions {
  /// Field delimiter.
  char delimiter = ',';
  /// Write the header line.
  bool header = true;
  /// Text written for missing values.
  std::string na_rep = "";
  /// Line terminator.
  std::string line_terminator = "\n";
};

/// Writes a table as CSV: float64 in shortest round-trip form, timestamps in ISO 8601, fields
/// quoted when they contain the delimiter, a quote, a newline or leading/trailing spaces. The
/// file is written through churn::AtomicFile: never a partial file, on any failure the target is
/// left untouched, its permissions are kept, and a FIFO or device is refused. read_csv gives the
/// table back (floats bit-identical), except that empty strings and text equal to an NA token are
/// read as missing, and inferred types may differ (e.g. a string column of digits): pass
/// `column_types` for those.
/// @throws IOError if the file cannot be written.
void write_csv(const Table& table, const std::string& path, const CsvWriteOptions& options = {});

/// The CSV text write_csv would write.
std::string to_csv_string(const Table& table, const CsvWriteOptions& options = {});

}  // namespace churn::data
