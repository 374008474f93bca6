#include <boost/test/unit_test.hpp>

#include <sys/stat.h>  // mkfifo
#include <zlib.h>      // deflate (gzip test data)

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/fileio.hpp"
#include "churn/core/json.hpp"
#include "churn/core/random.hpp"
#include "churn/data/csv.hpp"
#include "churn/data/schema.hpp"
#include "churn/data/table.hpp"
#include "data/csv_impl.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::data::Column;
using churn::data::CsvChunkReader;
using churn::data::CsvOptions;
using churn::data::CsvWriteOptions;
using churn::data::DType;
using churn::data::Table;

namespace fs = std::filesystem;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string testdata(const std::string& name) {
  return std::string(CHURN_TEST_DATA_DIR) + "/" + name;
}

// A scratch folder removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    churn::Rng rng(static_cast<std::uint64_t>(std::time(nullptr)) ^
                   reinterpret_cast<std::uintptr_t>(this));
    path =
        fs::temp_directory_path() / ("churn_csv_test_" + std::to_string(rng.next() % 1000000007));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// Sets the tokeniser's block size for the scope (tiny blocks exercise block boundaries).
struct BlockBytes {
  std::size_t old;
  explicit BlockBytes(std::size_t bytes) : old(churn::data::detail::csv_block_bytes_override()) {
    churn::data::detail::csv_block_bytes_override() = bytes;
  }
  ~BlockBytes() { churn::data::detail::csv_block_bytes_override() = old; }
};

// Runs `f`, requires an exception of exactly type E and returns its message.
template <class E, class F>
std::string exact_throw(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    BOOST_TEST((typeid(e) == typeid(E)),
               "expected " << typeid(E).name() << ", got " << typeid(e).name() << ": " << e.what());
    return e.what();
  }
  BOOST_ERROR("expected an exception of type " << typeid(E).name() << ", none was thrown");
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

bool same_double(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;  // bit-identical (distinguishes -0.0)
}

// "" when equal, else the first difference: names, types, values, missing, category order.
std::string table_diff(const Table& a, const Table& b) {
  std::ostringstream os;
  if (a.num_columns() != b.num_columns() || a.num_rows() != b.num_rows()) {
    os << "shape " << a.num_rows() << "x" << a.num_columns() << " vs " << b.num_rows() << "x"
       << b.num_columns();
    return os.str();
  }
  for (Index j = 0; j < a.num_columns(); ++j) {
    const Column& x = a.column(j);
    const Column& y = b.column(j);
    if (x.name() != y.name() || x.dtype() != y.dtype()) {
      os << "column " << j << ": '" << x.name() << "' " << churn::data::dtype_name(x.dtype())
         << " vs '" << y.name() << "' " << churn::data::dtype_name(y.dtype());
      return os.str();
    }
    if (x.dtype() == DType::Categorical && x.categories() != y.categories()) {
      os << "column '" << x.name() << "': categories differ";
      return os.str();
    }
    for (Index i = 0; i < a.num_rows(); ++i) {
      bool same = x.is_missing(i) == y.is_missing(i);
      if (same && !x.is_missing(i)) {
        switch (x.dtype()) {
          case DType::Float64: same = same_double(x.as_float64()[i], y.as_float64()[i]); break;
          case DType::Int64:
          case DType::Timestamp: same = x.as_int64()[i] == y.as_int64()[i]; break;
          case DType::Categorical: same = x.codes()[i] == y.codes()[i]; break;
          case DType::String:
            same = x.strings()[static_cast<std::size_t>(i)] ==
                   y.strings()[static_cast<std::size_t>(i)];
            break;
        }
      }
      if (!same) {
        os << "column '" << x.name() << "' row " << i << ": '" << x.value_string(i) << "' vs '"
           << y.value_string(i) << "'";
        return os.str();
      }
    }
  }
  return "";
}

std::int64_t day(int y, unsigned m, unsigned d) {
  return churn::days_from_civil(y, m, d) * churn::kNanosPerDay;
}

churn::data::ColumnSpec spec(const std::string& name, DType t) {
  churn::data::ColumnSpec s;
  s.name = name;
  s.dtype = t;
  return s;
}

CsvOptions with_threads(int n) {
  CsvOptions o;
  o.n_threads = n;
  return o;
}

// A generated customer file and its expected table, built from the generated values (not by
// parsing the text). Text fields hold delimiters, quotes and newlines; values are missing now
// and then.
struct Generated {
  std::string text;
  Table expected;
};

Generated generate_customers(int n_rows, std::uint64_t seed, bool crlf = false) {
  churn::Rng rng(seed);
  const std::vector<std::string> plans = {"Basic", "Standard, plus", "Premium \"gold\""};
  const std::vector<std::string> plans_csv = {"Basic", "\"Standard, plus\"",
                                              "\"Premium \"\"gold\"\"\""};
  const std::vector<std::string> notes = {"ok", "call back\nnext week", "\"quoted\"; semi"};
  const std::vector<std::string> notes_csv = {"ok", "\"call back\nnext week\"",
                                              "\"\"\"quoted\"\"; semi\""};
  const std::string nl = crlf ? "\r\n" : "\n";
  std::string text = "customer_id,plan,tenure,monthly,signup,note" + nl;
  std::vector<std::string> ids;
  std::vector<std::string> plan_v, note_v;
  std::vector<std::uint8_t> plan_ok, note_ok;
  std::vector<double> tenure, monthly;
  std::vector<std::int64_t> signup;
  for (int i = 0; i < n_rows; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "C%07d", i * 7 + 3);
    ids.emplace_back(id);
    const auto p = rng.uniform_int(3);
    const bool plan_missing = rng.bernoulli(0.05);
    const auto t = static_cast<int>(rng.uniform_int(73));
    const bool monthly_missing = rng.bernoulli(0.1);
    char money[32];
    std::snprintf(money, sizeof money, "%d.%02d", 18 + static_cast<int>(rng.uniform_int(100)),
                  static_cast<int>(rng.uniform_int(100)));
    const bool signup_missing = rng.bernoulli(0.05);
    const int y = 2015 + static_cast<int>(rng.uniform_int(9));
    const auto mo = static_cast<unsigned>(1 + rng.uniform_int(12));
    const auto d = static_cast<unsigned>(1 + rng.uniform_int(28));
    const auto k = rng.uniform_int(4);  // 3 = missing note
    char date[32];
    std::snprintf(date, sizeof date, "%04d-%02u-%02u", y, mo, d);

    text += ids.back() + "," + (plan_missing ? "" : plans_csv[p]) + "," + std::to_string(t) + "," +
            (monthly_missing ? std::string("NA") : std::string(money)) + "," +
            (signup_missing ? "" : date) + "," + (k < 3 ? notes_csv[k] : std::string(" ")) + nl;

    plan_v.push_back(plan_missing ? "" : plans[p]);
    plan_ok.push_back(plan_missing ? 0 : 1);
    tenure.push_back(t);
    monthly.push_back(monthly_missing ? kNaN : std::strtod(money, nullptr));
    signup.push_back(signup_missing ? churn::kNaT : day(y, mo, d));
    note_v.push_back(k < 3 ? notes[k] : "");
    note_ok.push_back(k < 3 ? 1 : 0);
  }
  Table expected({Column::from_strings("customer_id", ids),
                  Column::from_strings_categorical("plan", plan_v, plan_ok),
                  Column::from_float64("tenure", tenure), Column::from_float64("monthly", monthly),
                  Column::from_timestamp("signup", signup),
                  Column::from_strings_categorical("note", note_v, note_ok)});
  return {text, expected};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_csv)

// ------------------------------------------------------------------------------------------
// Basic reading and type inference
// ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(infers_types_from_a_small_file) {
  const std::string text =
      "id,tenure,charges,plan,signup,empty,when\n"
      "a1,1,29.85,Basic,2020-01-31,,2021-03-04T05:06:07\n"
      "b2,34,1889.5,Premium,2019-12-01,NA,2021-03-04 05:06:07.25Z\n"
      "c3,2,,Basic,,,\n"
      "d4,45,-0.5e2,Basic,2018-02-28, ,2021-03-04T06:06:07+01:00\n";
  const Table t = churn::data::parse_csv(text);
  BOOST_REQUIRE_EQUAL(t.num_rows(), 4);
  BOOST_REQUIRE_EQUAL(t.num_columns(), 7);
  BOOST_TEST((t.column_names() == std::vector<std::string>{"id", "tenure", "charges", "plan",
                                                           "signup", "empty", "when"}));
  // "id": 4 distinct of 4 -> String; "plan": 2 distinct of 4 -> Categorical (ratio 0.5).
  BOOST_TEST((t.column("id").dtype() == DType::String));
  BOOST_TEST((t.column("id").strings() == std::vector<std::string>{"a1", "b2", "c3", "d4"}));
  BOOST_TEST((t.column("tenure").dtype() == DType::Float64));
  BOOST_TEST(t.column("tenure").as_float64()[3] == 45.0);
  const auto charges = t.column("charges").as_float64();
  BOOST_TEST((t.column("charges").dtype() == DType::Float64));
  BOOST_TEST(charges[0] == 29.85);
  BOOST_TEST(charges[1] == 1889.5);
  BOOST_TEST(std::isnan(charges[2]));
  BOOST_TEST(charges[3] == -50.0);
  BOOST_TEST((t.column("plan").dtype() == DType::Categorical));
  BOOST_TEST((t.column("plan").categories() == std::vector<std::string>{"Basic", "Premium"}));
  BOOST_TEST(t.column("plan").codes()[1] == 1);
  BOOST_TEST((t.column("signup").dtype() == DType::Timestamp));
  BOOST_TEST(t.column("signup").as_int64()[0] == day(2020, 1, 31));
  BOOST_TEST(t.column("signup").as_int64()[2] == churn::kNaT);
  BOOST_TEST(t.column("signup").as_int64()[3] == day(2018, 2, 28));
  // An all-missing column is float64.
  BOOST_TEST((t.column("empty").dtype() == DType::Float64));
  BOOST_TEST(t.column("empty").null_count() == 4);
  const std::int64_t t0 = day(2021, 3, 4) + (5 * 3600 + 6 * 60 + 7) * churn::kNanosPerSecond;
  BOOST_TEST((t.column("when").dtype() == DType::Timestamp));
  BOOST_TEST(t.column("when").as_int64()[0] == t0);
  BOOST_TEST(t.column("when").as_int64()[1] == t0 + churn::kNanosPerSecond / 4);
  BOOST_TEST(t.column("when").as_int64()[3] == t0);  // 06:06:07+01:00 is 05:06:07Z
}

BOOST_AUTO_TEST_CASE(infer_int64_makes_integer_columns_int64) {
  const std::string text = "a,b,c\n1,1.5,-7\n2,2,+8\n,3,9\n";
  CsvOptions o;
  o.infer_int64 = true;
  const Table t = churn::data::parse_csv(text, o);
  BOOST_TEST((t.column("a").dtype() == DType::Int64));
  BOOST_TEST((t.column("b").dtype() == DType::Float64));
  BOOST_TEST((t.column("c").dtype() == DType::Int64));
  BOOST_TEST(t.column("a").as_int64()[1] == 2);
  BOOST_TEST(t.column("a").is_missing(2));
  BOOST_TEST(!t.column("a").is_missing(0));
  BOOST_TEST(t.column("c").as_int64()[0] == -7);
  BOOST_TEST(t.column("c").as_int64()[1] == 8);
  // Without the option the same columns are float64.
  const Table f = churn::data::parse_csv(text);
  BOOST_TEST((f.column("a").dtype() == DType::Float64));
  BOOST_TEST(f.column("c").as_float64()[1] == 8.0);
}

BOOST_AUTO_TEST_CASE(numbers_parse_exactly_like_strtod) {
  const std::vector<std::string> values = {"0.1",
                                           "1e-300",
                                           "4.9e-324",
                                           "1.7976931348623157e308",
                                           "-0",
                                           "123456789012345678901",
                                           "0.30000000000000004",
                                           "2.5E+10",
                                           ".5",
                                           "7.",
                                           "1e400",
                                           "-1e400",
                                           "1e-400",
                                           "inf",
                                           "-Infinity"};
  std::string text = "x\n";
  for (const auto& v : values) text += v + "\n";
  const Table t = churn::data::parse_csv(text);
  BOOST_REQUIRE(t.column("x").dtype() == DType::Float64);
  const auto x = t.column("x").as_float64();
  for (std::size_t i = 0; i < values.size(); ++i)
    BOOST_TEST(same_double(x[static_cast<Index>(i)], std::strtod(values[i].c_str(), nullptr)),
               values[i] << " read as " << x[static_cast<Index>(i)]);
}

BOOST_AUTO_TEST_CASE(quoted_fields_with_delimiters_quotes_and_newlines) {
  const std::string text =
      "name,comment,n\n"
      "\"Smith, John\",\"said \"\"hi\"\"\",1\n"
      "\"multi\nline\",\"a\r\nb\",2\n"
      "plain,\"\",3\n"
      "\"x\"\"\",\" padded \",4\n";
  CsvOptions o;
  o.column_types = {{"name", DType::String}, {"comment", DType::String}};
  const Table t = churn::data::parse_csv(text, o);
  BOOST_REQUIRE_EQUAL(t.num_rows(), 4);
  const auto& name = t.column("name").strings();
  BOOST_TEST(name[0] == "Smith, John");
  BOOST_TEST(name[1] == "multi\nline");
  BOOST_TEST(name[2] == "plain");
  BOOST_TEST(name[3] == "x\"");
  const Column& comment = t.column("comment");
  BOOST_TEST(comment.strings()[0] == "said \"hi\"");
  BOOST_TEST(comment.strings()[1] == "a\r\nb");
  BOOST_TEST(comment.is_missing(2));               // "" is an empty field: missing
  BOOST_TEST(comment.strings()[3] == " padded ");  // quoted: not trimmed
  BOOST_TEST(t.column("n").as_float64()[3] == 4.0);
}

BOOST_AUTO_TEST_CASE(text_after_a_closing_quote_is_kept) {
  // Not RFC 4180, but common: pandas and Python's csv read "ab"cd as abcd.
  const Table t = churn::data::parse_csv("a,b\n\"ab\"cd,1\n \"q\" ,2\n5'3\",3\n", [] {
    CsvOptions o;
    o.column_types = {{"a", DType::String}};
    return o;
  }());
  BOOST_TEST(t.column("a").strings()[0] == "abcd");
  BOOST_TEST(t.column("a").strings()[1] == "q");
  BOOST_TEST(t.column("a").strings()[2] == "5'3\"");  // a quote inside an unquoted field
  BOOST_TEST(t.column("b").as_float64()[2] == 3.0);
}

BOOST_AUTO_TEST_CASE(bom_crlf_and_lf_give_the_same_table) {
  const std::string lf = "id,v,s\nx,1.5,\"a\nb\"\ny,2,c\n\nz,3,d";
  std::string crlf = "\xEF\xBB\xBFid,v,s\r\nx,1.5,\"a\nb\"\r\ny,2,c\r\n\r\nz,3,d\r\n";
  CsvOptions o;
  o.column_types = {{"id", DType::String}, {"s", DType::String}};
  const Table a = churn::data::parse_csv(lf, o);
  const Table b = churn::data::parse_csv(crlf, o);
  BOOST_TEST(table_diff(a, b) == "");
  BOOST_TEST(b.column_names()[0] == "id");  // the BOM is not part of the name
  BOOST_TEST(b.num_rows() == 3);            // the blank line is skipped
  BOOST_TEST(b.column("s").strings()[2] == "d");
  BOOST_TEST(b.column("s").strings()[0] == "a\nb");
}

BOOST_AUTO_TEST_CASE(delimiter_is_sniffed_or_given) {
  const std::string semi = "a;b;c\n1,5;2;x\n3,25;4;y\n";  // decimal commas: ';' is consistent
  const Table s = churn::data::parse_csv(semi);
  BOOST_TEST((s.column_names() == std::vector<std::string>{"a", "b", "c"}));
  BOOST_TEST((s.column("a").dtype() == DType::String));  // "1,5" is text, not a number
  BOOST_TEST(s.column("a").strings()[1] == "3,25");
  BOOST_TEST(s.column("b").as_float64()[1] == 4.0);
  const Table t = churn::data::parse_csv("a\tb\n1\t\"x\ty\"\n2\tz\n");
  BOOST_TEST((t.column_names() == std::vector<std::string>{"a", "b"}));
  BOOST_TEST(t.column("b").value_string(0) == "x\ty");
  const Table c = churn::data::parse_csv("a,b\n1,2\n");
  BOOST_TEST(c.num_columns() == 2);
  CsvOptions o;
  o.delimiter = '|';
  const Table p = churn::data::parse_csv("a|b,c\n1|2,5\n", o);
  BOOST_TEST((p.column_names() == std::vector<std::string>{"a", "b,c"}));
  BOOST_TEST(churn::data::detail::sniff_delimiter("a;b,c\n1;2\n3;4", '"') == ';');
  BOOST_TEST(churn::data::detail::sniff_delimiter("abc\n", '"') == ',');
}

BOOST_AUTO_TEST_CASE(na_tokens_blanks_and_trim) {
  const std::string text = "x,y\n1, a \n  ,NA\nNULL,  \n4,n/a\n5,\" \"\n";
  const Table t = churn::data::parse_csv(text, [] {
    CsvOptions o;
    o.column_types = {{"y", DType::String}};
    return o;
  }());
  const auto x = t.column("x").as_float64();
  BOOST_TEST(x[0] == 1.0);
  BOOST_TEST(std::isnan(x[1]));  // "  " trimmed: missing
  BOOST_TEST(std::isnan(x[2]));  // NULL
  BOOST_TEST(x[3] == 4.0);
  const Column& y = t.column("y");
  BOOST_TEST(y.strings()[0] == "a");
  BOOST_TEST(y.is_missing(1));
  BOOST_TEST(y.is_missing(2));
  BOOST_TEST(y.is_missing(3));
  BOOST_TEST(!y.is_missing(4));
  BOOST_TEST(y.strings()[4] == " ");  // quoted spaces are kept

  CsvOptions no_trim;
  no_trim.trim = false;
  no_trim.na_values = {"-"};
  no_trim.max_categorical_ratio = 1.0;
  no_trim.column_types = {{"y", DType::String}};
  const Table u = churn::data::parse_csv("x,y\n-, a \nNA,b\n", no_trim);
  BOOST_TEST(u.column("y").strings()[0] == " a ");
  BOOST_TEST((u.column("x").dtype() == DType::Categorical));  // "NA" is text now, "-" missing
  BOOST_TEST(u.column("x").is_missing(0));
  BOOST_TEST((u.column("x").categories() == std::vector<std::string>{"NA"}));
}

BOOST_AUTO_TEST_CASE(given_column_types_override_inference) {
  const std::string text = "zip,code,n,d\n01234,7,1,2020-05-06\n99999,8,2,\n";
  CsvOptions o;
  o.column_types = {{"zip", DType::String},
                    {"code", DType::Categorical},
                    {"n", DType::Int64},
                    {"d", DType::Timestamp}};
  const Table t = churn::data::parse_csv(text, o);
  BOOST_TEST((t.column("zip").strings() == std::vector<std::string>{"01234", "99999"}));
  BOOST_TEST((t.column("code").categories() == std::vector<std::string>{"7", "8"}));
  BOOST_TEST((t.column("n").dtype() == DType::Int64));
  BOOST_TEST(t.column("n").as_int64()[1] == 2);
  BOOST_TEST(t.column("d").as_int64()[0] == day(2020, 5, 6));
  BOOST_TEST(t.column("d").is_missing(1));
}

BOOST_AUTO_TEST_CASE(usecols_keeps_columns_in_file_order) {
  const std::string text = "a,b,c,d\n1,x,3,4\n5,y,7,8\n";
  CsvOptions o;
  o.usecols = {"d", "b"};
  const Table t = churn::data::parse_csv(text, o);
  BOOST_TEST((t.column_names() == std::vector<std::string>{"b", "d"}));
  BOOST_TEST(t.column("d").as_float64()[1] == 8.0);
  BOOST_TEST(t.column("b").value_string(1) == "y");
}

BOOST_AUTO_TEST_CASE(no_header_and_repeated_names) {
  CsvOptions o;
  o.header = false;
  const Table t = churn::data::parse_csv("1,2\n3,4\n", o);
  BOOST_TEST((t.column_names() == std::vector<std::string>{"column_1", "column_2"}));
  BOOST_TEST(t.num_rows() == 2);
  BOOST_TEST(t.column("column_1").as_float64()[0] == 1.0);
  const Table r = churn::data::parse_csv("x,x,,x\n1,2,3,4\n");
  BOOST_TEST((r.column_names() == std::vector<std::string>{"x", "x.1", "column_3", "x.2"}));
}

BOOST_AUTO_TEST_CASE(categorical_or_string_by_distinct_ratio_and_count) {
  const std::string text = "a,b\nu,p\nv,p\nw,q\nx,p\n";  // a: 4 distinct of 4, b: 2 of 4
  const Table t = churn::data::parse_csv(text);
  BOOST_TEST((t.column("a").dtype() == DType::String));
  BOOST_TEST((t.column("b").dtype() == DType::Categorical));
  CsvOptions ratio;
  ratio.max_categorical_ratio = 1.0;
  BOOST_TEST((churn::data::parse_csv(text, ratio).column("a").dtype() == DType::Categorical));
  CsvOptions count;
  count.max_categories = 1;
  BOOST_TEST((churn::data::parse_csv(text, count).column("b").dtype() == DType::String));
  BOOST_TEST(churn::data::parse_csv(text, count).column("b").strings()[2] == "q");
}

BOOST_AUTO_TEST_CASE(header_only_file_has_zero_rows) {
  const Table t = churn::data::parse_csv("a,b,c\n");
  BOOST_TEST(t.num_rows() == 0);
  BOOST_TEST(t.num_columns() == 3);
  const Table u = churn::data::parse_csv("a,b");
  BOOST_TEST(u.num_rows() == 0);
  BOOST_TEST(u.num_columns() == 2);
}

BOOST_AUTO_TEST_CASE(reads_the_telco_file) {
  const Table t = churn::data::read_csv(testdata("telco_churn.csv"));
  BOOST_REQUIRE_EQUAL(t.num_rows(), 7043);
  BOOST_REQUIRE_EQUAL(t.num_columns(), 21);
  BOOST_TEST((t.column("customerID").dtype() == DType::String));
  BOOST_TEST(t.column("customerID").strings()[0] == "7590-VHVEG");
  BOOST_TEST((t.column("gender").dtype() == DType::Categorical));
  BOOST_TEST((t.column("gender").categories() == std::vector<std::string>{"Female", "Male"}));
  BOOST_TEST((t.column("tenure").dtype() == DType::Float64));
  BOOST_TEST(t.column("tenure").as_float64()[1] == 34.0);
  BOOST_TEST(t.column("MonthlyCharges").as_float64()[0] == 29.85);
  const Column& total = t.column("TotalCharges");
  BOOST_TEST((total.dtype() == DType::Float64));
  BOOST_TEST(total.null_count() == 11);
  BOOST_TEST(total.as_float64()[1] == 1889.5);
  const Column& churned = t.column("Churn");
  BOOST_TEST((churned.dtype() == DType::Categorical));
  BOOST_TEST((churned.categories() == std::vector<std::string>{"No", "Yes"}));
  Index yes = 0;
  for (Index i = 0; i < churned.size(); ++i) yes += churned.codes()[i] == 1 ? 1 : 0;
  BOOST_TEST(yes == 1869);

  CsvOptions o;
  o.infer_int64 = true;
  const Table u = churn::data::read_csv(testdata("telco_churn.csv"), o);
  BOOST_TEST((u.column("tenure").dtype() == DType::Int64));
  BOOST_TEST(u.column("tenure").as_int64()[1] == 34);
  BOOST_TEST((u.column("TotalCharges").dtype() == DType::Float64));
}

// ------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unterminated_quote_is_a_parse_error_naming_line_and_column) {
  TempDir dir;
  const std::string path = dir.file("broken.csv");
  write_text(path, "id,name,v\n1,ok,2\n2,\"never closed,3\n4,x,5\n");
  const std::string msg = exact_throw<churn::ParseError>([&] { churn::data::read_csv(path); });
  BOOST_TEST(contains(msg, path), msg);
  BOOST_TEST(contains(msg, "line 3"), msg);
  BOOST_TEST(contains(msg, "column 'name' (2)"), msg);
  BOOST_TEST(contains(msg, "never closed"), msg);
  BOOST_TEST(contains(msg, "unterminated"), msg);
}

BOOST_AUTO_TEST_CASE(ragged_rows_are_parse_errors) {
  const std::string too_many =
      exact_throw<churn::ParseError>([] { churn::data::parse_csv("a,b\n1,2\n3,4,5\n"); });
  BOOST_TEST(contains(too_many, "<string>"), too_many);
  BOOST_TEST(contains(too_many, "line 3"), too_many);
  BOOST_TEST(contains(too_many, "column 3"), too_many);
  BOOST_TEST(contains(too_many, "3,4,5"), too_many);
  BOOST_TEST(contains(too_many, "3 fields, expected 2"), too_many);
  const std::string too_few =
      exact_throw<churn::ParseError>([] { churn::data::parse_csv("a,b,c\n1,2,3\n\n4,5\n"); });
  BOOST_TEST(contains(too_few, "line 4"), too_few);  // the blank line still counts
  BOOST_TEST(contains(too_few, "column 'c' (3)"), too_few);
  BOOST_TEST(contains(too_few, "'4,5'"), too_few);
}

BOOST_AUTO_TEST_CASE(text_in_a_numeric_column_is_a_parse_error) {
  CsvOptions o;
  o.column_types = {{"v", DType::Float64}};
  o.source_name = "data.csv";
  const std::string msg = exact_throw<churn::ParseError>(
      [&] { churn::data::parse_csv("id,note,v\n1,\"multi\nline\",2.5\n\n2,x,abc\n3,y,def\n", o); });
  BOOST_TEST(contains(msg, "data.csv"), msg);
  BOOST_TEST(contains(msg, "line 5"), msg);  // row 1 starts on line 5 (after a quoted newline)
  BOOST_TEST(contains(msg, "column 'v' (3)"), msg);
  BOOST_TEST(contains(msg, "'abc'"), msg);
  o.column_types = {{"id", DType::Int64}};
  const std::string msg2 =
      exact_throw<churn::ParseError>([&] { churn::data::parse_csv("id,v\n1,a\n2.5,b\n", o); });
  BOOST_TEST(contains(msg2, "line 3"), msg2);
  BOOST_TEST(contains(msg2, "column 'id' (1)"), msg2);
  BOOST_TEST(contains(msg2, "'2.5'"), msg2);
}

BOOST_AUTO_TEST_CASE(first_bad_field_wins_whatever_the_threads) {
  std::string text = "a,b\n";
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + "," + std::to_string(i) + "\n";
  text += "x,1\n";  // line 5002
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + ",y\n";
  CsvOptions o;
  o.column_types = {{"a", DType::Float64}, {"b", DType::Float64}};
  const BlockBytes small(997);
  for (int threads : {1, 2, 4}) {
    o.n_threads = threads;
    const std::string msg =
        exact_throw<churn::ParseError>([&] { churn::data::parse_csv(text, o); });
    BOOST_TEST(contains(msg, "line 5002, column 'a' (1)"), msg);
  }
}

BOOST_AUTO_TEST_CASE(empty_file_is_a_parse_error) {
  TempDir dir;
  const std::string path = dir.file("empty.csv");
  write_text(path, "");
  const std::string msg = exact_throw<churn::ParseError>([&] { churn::data::read_csv(path); });
  BOOST_TEST(contains(msg, path), msg);
  BOOST_TEST(contains(msg, "empty"), msg);
  exact_throw<churn::ParseError>([] { churn::data::parse_csv("\n\r\n  \n"); });
  exact_throw<churn::ParseError>([] { churn::data::parse_csv("\xEF\xBB\xBF"); });
  exact_throw<churn::ParseError>([&] { CsvChunkReader r(path); });
}

BOOST_AUTO_TEST_CASE(invalid_date_in_a_timestamp_column_is_a_parse_error) {
  CsvOptions o;
  o.column_types = {{"d", DType::Timestamp}};
  const std::string msg = exact_throw<churn::ParseError>(
      [&] { churn::data::parse_csv("id,d\n1,2023-02-28\n2,2023-02-30\n", o); });
  BOOST_TEST(contains(msg, "line 3"), msg);
  BOOST_TEST(contains(msg, "column 'd' (2)"), msg);
  BOOST_TEST(contains(msg, "2023-02-30"), msg);
  // Years outside int64 nanoseconds (1678..2261) are invalid too, not an overflow.
  const std::string far = exact_throw<churn::ParseError>(
      [&] { churn::data::parse_csv("id,d\n1,2023-02-28\n2,1017-01-01\n", o); });
  BOOST_TEST(contains(far, "line 3"), far);
  BOOST_TEST(churn::data::parse_csv("d\n1017-01-01\n2023-02-28\n").column("d").value_string(0) ==
             "1017-01-01");
  // Without a given type the column is simply not a timestamp column.
  BOOST_TEST(
      (churn::data::parse_csv("d\n2023-02-28\n2023-02-30\n").column("d").dtype() == DType::String));
}

BOOST_AUTO_TEST_CASE(unknown_names_in_options_are_schema_errors) {
  CsvOptions types;
  types.column_types = {{"nope", DType::Float64}};
  const std::string msg =
      exact_throw<churn::SchemaError>([&] { churn::data::parse_csv("a,b\n1,2\n", types); });
  BOOST_TEST(contains(msg, "'nope'"), msg);
  BOOST_TEST(contains(msg, "'a', 'b'"), msg);
  CsvOptions cols;
  cols.usecols = {"a", "zzz"};
  exact_throw<churn::SchemaError>([&] { churn::data::parse_csv("a,b\n1,2\n", cols); });
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_io_error) {
  const std::string msg =
      exact_throw<churn::IOError>([] { churn::data::read_csv("/nonexistent/dir/file.csv"); });
  BOOST_TEST(contains(msg, "/nonexistent/dir/file.csv"), msg);
  exact_throw<churn::IOError>([] { CsvChunkReader r("/nonexistent/dir/file.csv"); });
}

// ---- Files that are not regular, line ends, gzip (issue 19, findings 4, 6, 7) ---------------

namespace {

// `text` as gzip data (one member), as `gzip` writes it.
std::string gzip_bytes(const std::string& text) {
  z_stream z{};
  BOOST_REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  BOOST_REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// `text` with its line ends (the '\n's outside quoted fields) turned into '\r'.
std::string cr_line_ends(std::string text) {
  bool in_quote = false;
  for (char& c : text) {
    if (c == '"') in_quote = !in_quote;
    if (c == '\n' && !in_quote) c = '\r';
  }
  return text;
}

// Every chunk of `path` (a generate_customers() file) read with `chunk` bytes, concatenated;
// the types are given, as a tiny first chunk cannot infer them.
Table read_in_chunks(const std::string& path, std::size_t chunk) {
  CsvOptions o;
  o.column_types = {{"customer_id", DType::String}, {"plan", DType::Categorical},
                    {"tenure", DType::Float64},     {"monthly", DType::Float64},
                    {"signup", DType::Timestamp},   {"note", DType::Categorical}};
  CsvChunkReader reader(path, o, chunk);
  std::vector<Table> parts;
  while (auto t = reader.next()) parts.push_back(std::move(*t));
  return Table::concat(parts);
}

}  // namespace

BOOST_AUTO_TEST_CASE(directories_devices_and_fifos_are_io_errors) {
  TempDir dir;
  // a directory was a bad_alloc (ftell's answer taken for a size)
  std::string msg = exact_throw<churn::IOError>([&] { churn::data::read_csv(dir.path.string()); });
  BOOST_TEST(contains(msg, "is a directory, not a regular file"), msg);
  exact_throw<churn::IOError>([&] { CsvChunkReader r(dir.path.string()); });
  exact_throw<churn::IOError>([&] { churn::read_file(dir.path.string()); });
  // /dev/zero was read until memory ran out
  msg = exact_throw<churn::IOError>([] { churn::data::read_csv("/dev/zero"); });
  BOOST_TEST(contains(msg, "a character device"), msg);
  exact_throw<churn::IOError>([] { CsvChunkReader r("/dev/zero"); });
  exact_throw<churn::IOError>([] { churn::read_file("/dev/zero"); });
  exact_throw<churn::IOError>([] { churn::load_json_file("/dev/zero"); });
  // a FIFO without a writer: refused at once (opening it must not block)
  const std::string fifo = dir.file("pipe.csv");
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  msg = exact_throw<churn::IOError>([&] { churn::data::read_csv(fifo); });
  BOOST_TEST(contains(msg, "a FIFO"), msg);
  BOOST_TEST(contains(msg, fifo), msg);
  exact_throw<churn::IOError>([&] { CsvChunkReader r(fifo); });
  exact_throw<churn::IOError>([&] { churn::read_file(fifo); });
}

BOOST_AUTO_TEST_CASE(cr_only_line_ends_read_as_lines) {
  // classic Mac OS files: read 2x2 as pandas does (they were one row of columns 'b\r1', ...)
  const Table t = churn::data::parse_csv("a,b\r1,2\r3,4\r");
  BOOST_TEST((t.column_names() == std::vector<std::string>{"a", "b"}));
  BOOST_TEST(t.num_rows() == 2);
  BOOST_TEST(t.column("b").value_string(1) == "4");
  // without a final line end; a quoted '\r' stays in its field; errors count CR lines
  const Table q = churn::data::parse_csv("a,s\r1,\"x\ry\"\r2,z");
  BOOST_TEST(q.num_rows() == 2);
  BOOST_TEST(q.column("s").strings()[0] == "x\ry");
  const std::string msg =
      exact_throw<churn::ParseError>([] { churn::data::parse_csv("a,b\r1,2\r3\r"); });
  BOOST_TEST(contains(msg, "line 3"), msg);
  // CRLF and LF are unchanged
  const Table crlf = churn::data::parse_csv("a,b\r\n1,2\r\n3,4\r\n");
  BOOST_TEST(table_diff(crlf, t) == "");
  BOOST_TEST(table_diff(churn::data::parse_csv("a,b\n1,2\n3,4\n"), t) == "");
  // the file readers: whole and in chunks of any size (a '\r' at a chunk's end included)
  TempDir dir;
  const Generated g = generate_customers(300, 5);
  const std::string cr_text = cr_line_ends(g.text);
  const std::string path = dir.file("mac.csv");
  write_text(path, cr_text);
  const Table whole = churn::data::read_csv(path);
  BOOST_TEST(table_diff(whole, churn::data::parse_csv(g.text)) == "");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}})
    BOOST_TEST(table_diff(read_in_chunks(path, chunk), whole) == "", "chunk " << chunk);
}

BOOST_AUTO_TEST_CASE(gzip_files_are_decompressed) {
  TempDir dir;
  const Generated g = generate_customers(3000, 8);
  const Table expected = churn::data::parse_csv(g.text);
  const std::string gz = gzip_bytes(g.text);
  const std::string path = dir.file("customers.csv.gz");
  write_text(path, gz);
  BOOST_TEST(table_diff(churn::data::read_csv(path), expected) == "");
  // by the magic bytes, whatever the name; in chunks; from memory
  const std::string unnamed = dir.file("customers.dat");
  write_text(unnamed, gz);
  BOOST_TEST(table_diff(churn::data::read_csv(unnamed), expected) == "");
  for (std::size_t chunk : {std::size_t{100}, std::size_t{1} << 20})
    BOOST_TEST(table_diff(read_in_chunks(path, chunk), expected) == "", "chunk " << chunk);
  BOOST_TEST(table_diff(churn::data::parse_csv(gz), expected) == "");
  // concatenated members (`cat a.gz b.gz`) read as one text
  const std::size_t half = g.text.find('\n', g.text.size() / 2) + 1;
  const std::string two = dir.file("two.csv.gz");
  write_text(two, gzip_bytes(g.text.substr(0, half)) + gzip_bytes(g.text.substr(half)));
  BOOST_TEST(table_diff(churn::data::read_csv(two), expected) == "");
  BOOST_TEST(table_diff(read_in_chunks(two, 1000), expected) == "");
  // a gzip file with CR-only line ends
  const std::string cr_text = cr_line_ends(g.text);
  const std::string cr = dir.file("cr.csv.gz");
  write_text(cr, gzip_bytes(cr_text));
  BOOST_TEST(table_diff(churn::data::read_csv(cr), expected) == "");
  BOOST_TEST(table_diff(read_in_chunks(cr, 333), expected) == "");
  // truncated and damaged data are IOErrors naming the file
  const std::string cut = dir.file("cut.csv.gz");
  write_text(cut, gz.substr(0, gz.size() / 2));
  std::string msg = exact_throw<churn::IOError>([&] { churn::data::read_csv(cut); });
  BOOST_TEST(contains(msg, "truncated gzip data"), msg);
  BOOST_TEST(contains(msg, cut), msg);
  exact_throw<churn::IOError>([&] { read_in_chunks(cut, 1000); });
  std::string bad = gz;
  for (std::size_t i = 20; i < 60; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
  const std::string damaged = dir.file("damaged.csv.gz");
  write_text(damaged, bad);
  msg = exact_throw<churn::IOError>([&] { churn::data::read_csv(damaged); });
  BOOST_TEST(contains(msg, "damaged gzip data"), msg);
  exact_throw<churn::IOError>([&] { read_in_chunks(damaged, 1000); });
}

BOOST_AUTO_TEST_CASE(bad_options_are_invalid_arguments) {
  CsvOptions o;
  o.delimiter = '"';
  exact_throw<churn::InvalidArgument>([&] { churn::data::parse_csv("a\n1\n", o); });
  CsvOptions r;
  r.max_categorical_ratio = -1;
  exact_throw<churn::InvalidArgument>([&] { churn::data::parse_csv("a\n1\n", r); });
  CsvOptions t;
  t.n_threads = -2;
  exact_throw<churn::InvalidArgument>([&] { churn::data::parse_csv("a\n1\n", t); });
}

// ------------------------------------------------------------------------------------------
// Determinism, block boundaries
// ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(generated_file_matches_its_reference) {
  const Generated g = generate_customers(500, 11);
  const Table t = churn::data::parse_csv(g.text);
  BOOST_TEST(table_diff(t, g.expected) == "");
  const Generated w = generate_customers(300, 12, /*crlf=*/true);
  BOOST_TEST(table_diff(churn::data::parse_csv(w.text), w.expected) == "");
}

BOOST_AUTO_TEST_CASE(results_do_not_depend_on_threads_or_blocks) {
  const Generated g = generate_customers(3000, 5);
  for (std::size_t block :
       {std::size_t{0}, std::size_t{64}, std::size_t{1000}, std::size_t{7777}}) {
    const BlockBytes bb(block);
    for (int threads : {1, 2, 4}) {
      const Table t = churn::data::parse_csv(g.text, with_threads(threads));
      BOOST_TEST(table_diff(t, g.expected) == "", "threads " << threads << ", block " << block);
    }
  }
}

BOOST_AUTO_TEST_CASE(inferred_types_follow_every_block_not_the_first) {
  // The first block's kind picks the buffers of the inference pass; later blocks can still
  // change the type: dates then text, dates then a number, empty then dates, numbers then text
  // (many distinct values: String).
  std::string text = "dt_txt,dt_num,empty_dt,num_txt,empty_num,dt\n";
  const int n = 600;
  for (int i = 0; i < n; ++i) {
    const bool late = i >= n - 5;
    text += late ? "later," : "2021-03-04,";
    text += late ? "17," : "2021-03-05T10:00,";
    text += i < 300 ? "," : "2020-01-0" + std::to_string(1 + i % 9) + ",";
    text += late ? "word," : std::to_string(i) + ".5,";
    text += i < 300 ? "NA," : std::to_string(i) + ",";
    text += i % 7 == 0 ? "\n" : "1999-12-31\n";
  }
  for (std::size_t block : {std::size_t{0}, std::size_t{100}, std::size_t{2000}}) {
    const BlockBytes bb(block);
    for (int threads : {1, 2}) {
      const Table t = churn::data::parse_csv(text, with_threads(threads));
      BOOST_TEST((t.column("dt_txt").dtype() == DType::Categorical), "block " << block);
      BOOST_TEST(t.column("dt_txt").value_string(n - 1) == "later");
      BOOST_TEST((t.column("dt_num").dtype() == DType::Categorical), "block " << block);
      BOOST_TEST(t.column("dt_num").value_string(n - 1) == "17");
      BOOST_TEST(t.column("dt_num").value_string(0) == "2021-03-05T10:00");
      BOOST_REQUIRE((t.column("empty_dt").dtype() == DType::Timestamp));
      BOOST_TEST(t.column("empty_dt").is_missing(0));
      BOOST_TEST(t.column("empty_dt").value_string(301) == "2020-01-05");
      BOOST_TEST((t.column("num_txt").dtype() == DType::String), "block " << block);
      BOOST_TEST(t.column("num_txt").value_string(2) == "2.5");
      BOOST_REQUIRE((t.column("empty_num").dtype() == DType::Float64));
      BOOST_TEST(t.column("empty_num").is_missing(299));
      BOOST_TEST(t.column("empty_num").value_double(400) == 400.0);
      BOOST_REQUIRE((t.column("dt").dtype() == DType::Timestamp));
      BOOST_TEST(t.column("dt").is_missing(7));
      BOOST_TEST(t.column("dt").value_string(8) == "1999-12-31");
    }
  }
}

BOOST_AUTO_TEST_CASE(text_distinct_at_first_but_categorical_overall) {
  // The first rows are all distinct (they look like an identifier), the rest repeat them: the
  // column is categorical, codes in order of first appearance; a unique column stays String.
  std::string text = "k,id,x\n";
  std::vector<std::string> keys, ids;
  for (int i = 0; i < 3000; ++i) {
    keys.push_back(i % 97 == 5 ? "" : "key" + std::to_string(i < 150 ? i : (i * 7) % 150));
    ids.push_back(i % 89 == 3 ? "" : "id" + std::to_string(i));
    text += keys.back() + "," + ids.back() + "," + std::to_string(i) + "\n";
  }
  std::vector<std::uint8_t> key_valid, id_valid;
  for (const auto& k : keys) key_valid.push_back(k.empty() ? 0 : 1);
  for (const auto& v : ids) id_valid.push_back(v.empty() ? 0 : 1);
  const Column expected = Column::from_strings_categorical("k", keys, key_valid);
  TempDir dir;
  const std::string path = dir.file("distinct.csv");
  write_text(path, text);
  for (std::size_t block : {std::size_t{0}, std::size_t{64}, std::size_t{2000}}) {
    const BlockBytes bb(block);
    for (int threads : {1, 2}) {
      const Table t = churn::data::parse_csv(text, with_threads(threads));
      const Column& c = t.column("k");
      BOOST_REQUIRE((c.dtype() == DType::Categorical));
      BOOST_TEST(c.categories() == expected.categories(), "block " << block);
      BOOST_TEST((c.codes() == expected.codes()), "block " << block);
      const Column& id = t.column("id");
      BOOST_REQUIRE((id.dtype() == DType::String));
      BOOST_TEST(id.strings()[3000 - 1] == ids.back());
      BOOST_TEST(id.is_missing(3));
    }
    // The first chunk of a chunk reader infers the same way, with a dictionary that persists.
    CsvChunkReader reader(path, with_threads(2), 1 << 20);
    const auto chunk = reader.next();
    BOOST_REQUIRE(chunk.has_value());
    BOOST_TEST(chunk->column("k").categories() == expected.categories());
    BOOST_TEST((chunk->column("k").codes() == expected.codes()));
    BOOST_TEST((chunk->column("id").dtype() == DType::String));
  }
}

BOOST_AUTO_TEST_CASE(quote_inside_unquoted_field_survives_block_splitting) {
  // Quote parity is wrong after 5'3": the reader must notice and re-tokenise exactly.
  std::string text = "h,v\n";
  std::vector<std::string> expected_h;
  for (int i = 0; i < 400; ++i) {
    const std::string h = i % 50 == 7 ? "5'3\"" : "r" + std::to_string(i);
    const std::string quoted = i % 13 == 0 ? "\"q,\n" + std::to_string(i) + "\"" : "x";
    text += h + "," + quoted + "\n";
    expected_h.push_back(h);
  }
  CsvOptions o;
  o.column_types = {{"h", DType::String}, {"v", DType::String}};
  for (std::size_t block : {std::size_t{0}, std::size_t{50}, std::size_t{333}}) {
    const BlockBytes bb(block);
    for (int threads : {1, 3}) {
      o.n_threads = threads;
      const Table t = churn::data::parse_csv(text, o);
      BOOST_TEST(t.column("h").strings() == expected_h, "block " << block);
      BOOST_TEST(t.column("v").strings()[13] == "q,\n13");
    }
  }
}

BOOST_AUTO_TEST_CASE(many_categories_keep_first_appearance_order) {
  // 300 levels: the dictionaries outgrow the linear scan and switch to hashing.
  churn::Rng rng(77);
  std::string text = "level,x\n";
  std::vector<std::string> values;
  for (int i = 0; i < 20000; ++i) {
    values.push_back("L" + std::to_string(rng.uniform_int(300)));
    text += values.back() + "," + std::to_string(i) + "\n";
  }
  const Column expected = Column::from_strings_categorical("level", values);
  BOOST_REQUIRE_EQUAL(expected.categories().size(), 300u);
  const BlockBytes bb(4096);
  for (int threads : {1, 2, 4}) {
    const Table t = churn::data::parse_csv(text, with_threads(threads));
    const Column& c = t.column("level");
    BOOST_REQUIRE((c.dtype() == DType::Categorical));
    BOOST_TEST(c.categories() == expected.categories(), "threads " << threads);
    BOOST_TEST((c.codes() == expected.codes()), "threads " << threads);
  }
}

BOOST_AUTO_TEST_CASE(string_dict_codes_follow_insertion_order) {
  churn::data::detail::StringDict d;
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("key-" + std::to_string(i * 7919 % 1000));
  for (int i = 0; i < 1000; ++i) {
    std::string tmp = keys[static_cast<std::size_t>(i)];
    BOOST_TEST(d.insert(tmp, /*copy=*/true) == i);
    tmp.assign(tmp.size(), '#');  // the dictionary holds its own copy
  }
  BOOST_TEST(d.size() == 1000u);
  for (int i = 0; i < 1000; ++i) {
    BOOST_TEST(d.find(keys[static_cast<std::size_t>(i)]) == i);
    BOOST_TEST(d.insert(keys[static_cast<std::size_t>(i)], false) == i);
    BOOST_TEST(d.keys()[static_cast<std::size_t>(i)] == keys[static_cast<std::size_t>(i)]);
  }
  BOOST_TEST(d.find("key-1000") == -1);
  BOOST_TEST(d.find("") == -1);
  d.clear();
  BOOST_TEST(d.size() == 0u);
  BOOST_TEST(d.find("key-0") == -1);
  BOOST_TEST(d.insert("", false) == 0);
  BOOST_TEST(d.find("") == 0);
}

// ------------------------------------------------------------------------------------------
// Chunked reading
// ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(chunks_concatenate_to_the_whole_file) {
  TempDir dir;
  const Generated g = generate_customers(2000, 21);
  const std::string path = dir.file("customers.csv");
  write_text(path, g.text);
  const Table whole = churn::data::read_csv(path);
  BOOST_TEST(table_diff(whole, g.expected) == "");
  for (std::size_t chunk : {std::size_t{20000}, std::size_t{65536}}) {
    CsvChunkReader reader(path, {}, chunk);
    BOOST_TEST((reader.column_names() == whole.column_names()));
    std::vector<Table> parts;
    std::vector<std::string> prev_plan;
    while (auto t = reader.next()) {
      BOOST_TEST(t->num_rows() > 0);
      // Dictionaries only grow: earlier codes keep their meaning.
      const auto& cats = t->column("plan").categories();
      BOOST_TEST(std::equal(prev_plan.begin(), prev_plan.end(), cats.begin()));
      prev_plan = cats;
      parts.push_back(std::move(*t));
    }
    BOOST_TEST(parts.size() > (chunk == 20000 ? 3u : 1u));
    BOOST_TEST(!reader.next().has_value());
    BOOST_TEST(table_diff(Table::concat(parts), whole) == "", "chunk " << chunk);
  }
}

BOOST_AUTO_TEST_CASE(tiny_chunks_with_given_types_match_the_whole_file) {
  TempDir dir;
  const Generated g = generate_customers(300, 22, /*crlf=*/true);
  const std::string path = dir.file("c.csv");
  write_text(path, g.text);
  CsvOptions o;
  o.column_types = {{"customer_id", DType::String},
                    {"plan", DType::Categorical},
                    {"signup", DType::Timestamp},
                    {"note", DType::Categorical}};
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{100}}) {
    CsvChunkReader reader(path, o, chunk);
    std::vector<Table> parts;
    while (auto t = reader.next()) parts.push_back(std::move(*t));
    BOOST_TEST(table_diff(Table::concat(parts), g.expected) == "", "chunk " << chunk);
  }
}

BOOST_AUTO_TEST_CASE(chunk_errors_name_the_line_in_the_whole_file) {
  TempDir dir;
  std::string text = "id,v\n";
  for (int i = 0; i < 1000; ++i) text += std::to_string(i) + ",\"" + std::to_string(i) + "\"\n";
  text += "1000,\"two\nlines\"\n";  // starts on line 1002; v was inferred float64
  const std::string path = dir.file("late.csv");
  write_text(path, text);
  CsvChunkReader reader(path, {}, 1024);
  const std::string msg = exact_throw<churn::ParseError>([&] {
    while (reader.next()) {
    }
  });
  BOOST_TEST(contains(msg, path), msg);
  BOOST_TEST(contains(msg, "line 1002"), msg);
  BOOST_TEST(contains(msg, "column 'v' (2)"), msg);
  BOOST_TEST(contains(msg, "column_types"), msg);
  BOOST_TEST(contains(msg, "two\\nlines"), msg);

  write_text(path, text.substr(0, text.size() - 8));  // unterminated quote at the end
  CsvChunkReader r2(path, {}, 1024);
  const std::string msg2 = exact_throw<churn::ParseError>([&] {
    while (r2.next()) {
    }
  });
  BOOST_TEST(contains(msg2, "line 1002"), msg2);
  BOOST_TEST(contains(msg2, "unterminated"), msg2);

  exact_throw<churn::InvalidArgument>([&] { CsvChunkReader r3(path, {}, 0); });
}

// ------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(to_csv_string_quotes_where_needed) {
  const Table t({Column::from_strings("s", {"plain", "a,b", "say \"hi\"", "two\nlines", " pad"},
                                      {1, 1, 1, 1, 1}),
                 Column::from_float64("x", {0.1, kNaN, -0.0, 1e21, 2.5}),
                 Column::from_int64("n", {1, 2, 3, 4, 5}, {1, 0, 1, 1, 1}),
                 Column::from_timestamp("d", {day(2020, 1, 2), churn::kNaT,
                                              day(2020, 1, 2) + churn::kNanosPerSecond * 3661,
                                              day(1969, 12, 31), day(2000, 2, 29) + 5})});
  const std::string expected =
      "s,x,n,d\n"
      "plain,0.1,1,2020-01-02\n"
      "\"a,b\",,,\n"
      "\"say \"\"hi\"\"\",-0,3,2020-01-02T01:01:01\n"
      "\"two\nlines\",1e+21,4,1969-12-31\n"
      "\" pad\",2.5,5,2000-02-29T00:00:00.000000005\n";
  BOOST_TEST(churn::data::to_csv_string(t) == expected);
  CsvWriteOptions o;
  o.delimiter = ';';
  o.header = false;
  o.na_rep = "NA";
  o.line_terminator = "\r\n";
  const Table u({Column::from_float64("x", {1.5, kNaN}),
                 Column::from_strings_categorical("c", {"a;b", "c"})});
  BOOST_TEST(churn::data::to_csv_string(u, o) == "1.5;\"a;b\"\r\nNA;c\r\n");
}

BOOST_AUTO_TEST_CASE(to_csv_string_reads_narrow_category_codes) {
  const std::vector<std::string> cats = {"x", "y,z", "w"};
  const Table t({churn_test::narrow_codes<std::int8_t>("a", {2, -1, 0, 1}, cats),
                 churn_test::narrow_codes<std::int16_t>("b", {1, 2, -1, 0}, cats),
                 Column::from_codes("c", {0, 1, 2, -1}, cats)});
  BOOST_TEST(churn::data::to_csv_string(t) == "a,b,c\nw,\"y,z\",x\n,w,\"y,z\"\nx,,w\n\"y,z\",x,\n");
}

BOOST_AUTO_TEST_CASE(write_then_read_gives_the_same_table) {
  churn::Rng rng(3);
  const Index n = 40000;  // several write blocks
  std::vector<double> x(static_cast<std::size_t>(n));
  std::vector<std::int64_t> ts(static_cast<std::size_t>(n));
  std::vector<std::string> cat(static_cast<std::size_t>(n)), str(static_cast<std::size_t>(n));
  std::vector<std::uint8_t> cat_ok(static_cast<std::size_t>(n)),
      str_ok(static_cast<std::size_t>(n));
  const std::vector<std::string> levels = {"plain",       "with, comma",  "with \"quote\"",
                                           "multi\nline", "crlf\r\nline", " lead",
                                           "semi;colon"};
  for (Index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    switch (rng.uniform_int(6)) {
      case 0: x[k] = kNaN; break;
      case 1: x[k] = rng.normal() * std::pow(10.0, rng.uniform(-300, 300)); break;
      case 2:
        x[k] = std::ldexp(rng.uniform(), -1074 + static_cast<int>(rng.uniform_int(60)));
        break;
      case 3: x[k] = static_cast<double>(rng.uniform_int(1000)) / 7.0; break;
      case 4: x[k] = -0.0; break;
      default: x[k] = rng.uniform(); break;
    }
    ts[k] = rng.bernoulli(0.1)
                ? churn::kNaT
                : static_cast<std::int64_t>(rng.uniform_int(4000000000000000000ULL)) -
                      1000000000000000000LL;
    cat_ok[k] = rng.bernoulli(0.9) ? 1 : 0;
    cat[k] = cat_ok[k] ? levels[rng.uniform_int(levels.size())] : "";
    str_ok[k] = rng.bernoulli(0.9) ? 1 : 0;
    str[k] = str_ok[k] ? "id \"" + std::to_string(i) + "\",\n" + std::to_string(rng.next()) : "";
  }
  const Table t({Column::from_float64("x", x), Column::from_timestamp("when", ts),
                 Column::from_strings_categorical("level", cat, cat_ok),
                 Column::from_strings("label", str, str_ok)});
  TempDir dir;
  const std::string path = dir.file("round.csv");
  churn::data::write_csv(t, path);
  BOOST_TEST(read_text(path) == churn::data::to_csv_string(t));
  const Table back = churn::data::read_csv(path);  // types inferred
  BOOST_TEST(table_diff(back, t) == "");
  const Table back2 = churn::data::parse_csv(churn::data::to_csv_string(t), with_threads(1));
  BOOST_TEST(table_diff(back2, t) == "");
}

BOOST_AUTO_TEST_CASE(write_csv_is_atomic) {
  TempDir dir;
  const Table t({Column::from_float64("x", {1, 2})});
  const std::string missing_dir = dir.file("no/such/folder/out.csv");
  const std::string msg =
      exact_throw<churn::IOError>([&] { churn::data::write_csv(t, missing_dir); });
  BOOST_TEST(contains(msg, "out.csv"), msg);
  BOOST_TEST(!fs::exists(dir.path / "no"));
  BOOST_TEST(fs::is_empty(dir.path));  // no temporary file left behind

  const std::string path = dir.file("out.csv");
  write_text(path, std::string(100000, 'z'));  // longer than the new content
  churn::data::write_csv(t, path);
  BOOST_TEST(read_text(path) == "x\n1\n2\n");
  std::size_t n_files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) n_files += e.is_regular_file() ? 1 : 0;
  BOOST_TEST(n_files == 1u);
}

// ------------------------------------------------------------------------------------------
// Schema
// ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(read_with_schema_uses_its_types_and_reports_lines) {
  TempDir dir;
  const std::string path = dir.file("s.csv");
  write_text(path,
             "id,zip,tenure,note\n"
             "a,01234,3,\"two\nlines\"\n"
             "b,99999,-4,x\n"  // line 4: tenure below the minimum
             "c,12345,5,y\n");
  churn::data::Schema s;
  churn::data::ColumnSpec tenure = spec("tenure", DType::Float64);
  tenure.min = 0.0;
  s.add(spec("id", DType::String))
      .add(spec("zip", DType::String))
      .add(tenure)
      .add(spec("note", DType::Categorical));
  const std::string msg = exact_throw<churn::SchemaError>([&] { churn::data::read_csv(path, s); });
  BOOST_TEST(contains(msg, path), msg);
  BOOST_TEST(contains(msg, "1 violation"), msg);
  BOOST_TEST(contains(msg, "row 1 (line 4)"), msg);
  BOOST_TEST(contains(msg, "tenure"), msg);

  write_text(path, "id,zip,tenure,note\na,01234,3,x\nb,00000,4,y\n");
  const Table t = churn::data::read_csv(path, s);
  BOOST_TEST((t.column("zip").dtype() == DType::String));  // from the schema, not inferred
  BOOST_TEST(t.column("zip").strings()[1] == "00000");
  BOOST_TEST((t.column("note").dtype() == DType::Categorical));

  s.add(spec("plan", DType::Categorical));  // required, absent from the file
  const std::string msg2 = exact_throw<churn::SchemaError>([&] { churn::data::read_csv(path, s); });
  BOOST_TEST(contains(msg2, "plan"), msg2);
}

// ------------------------------------------------------------------------------------------
// Robustness
// ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(random_and_mutated_inputs_parse_or_throw_churn_errors) {
  churn::Rng rng(2024);
  const std::string alphabet = ",;\t\"\r\na1.- ";
  const std::string valid = generate_customers(30, 9).text;
  int n_ok = 0, n_err = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    switch (rng.uniform_int(4)) {
      case 0: {
        const auto len = rng.uniform_int(120);
        for (std::uint64_t i = 0; i < len; ++i) text += alphabet[rng.uniform_int(alphabet.size())];
        break;
      }
      case 1: text = valid.substr(0, rng.uniform_int(valid.size() + 1)); break;
      case 2: {
        text = valid;
        const auto k = 1 + rng.uniform_int(4);
        for (std::uint64_t i = 0; i < k; ++i) text.insert(rng.uniform_int(text.size() + 1), 1, '"');
        break;
      }
      default: {
        text = valid;
        const auto k = 1 + rng.uniform_int(8);
        for (std::uint64_t i = 0; i < k; ++i)
          text[rng.uniform_int(text.size())] = alphabet[rng.uniform_int(alphabet.size())];
        break;
      }
    }
    CsvOptions o;
    o.header = rng.bernoulli(0.8);
    o.trim = rng.bernoulli(0.7);
    o.infer_int64 = rng.bernoulli(0.3);
    o.n_threads = 1;
    std::string err1, err2;
    std::optional<Table> t1, t2;
    try {
      t1 = churn::data::parse_csv(text, o);
    } catch (const churn::Error& e) {
      err1 = e.what();
    } catch (const std::exception& e) {
      BOOST_ERROR("non-churn exception " << typeid(e).name() << ": " << e.what());
    }
    {
      const BlockBytes bb(1 + rng.uniform_int(40));
      o.n_threads = 3;
      try {
        t2 = churn::data::parse_csv(text, o);
      } catch (const churn::Error& e) {
        err2 = e.what();
      } catch (const std::exception& e) {
        BOOST_ERROR("non-churn exception " << typeid(e).name() << ": " << e.what());
      }
    }
    // Same outcome with one block or many, one thread or three.
    BOOST_TEST(err1 == err2, "input: '" << churn::data::detail::excerpt(text, 200) << "'");
    if (t1 && t2) BOOST_TEST(table_diff(*t1, *t2) == "");
    (t1 ? n_ok : n_err)++;
  }
  BOOST_TEST(n_ok > 300);
  BOOST_TEST(n_err > 300);
}

BOOST_AUTO_TEST_SUITE_END()
