#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

#include "churn/core/error.hpp"
#include "churn/core/fileio.hpp"

namespace fs = std::filesystem;

namespace {
fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "churn_test_fileio";
  fs::create_directories(dir);
  return dir / name;
}
std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(core_fileio)

BOOST_AUTO_TEST_CASE(write_then_read_round_trip) {
  const auto p = scratch("a.txt");
  churn::write_file_atomic(p.string(), std::string("hello\0world", 11));
  BOOST_TEST(churn::read_file(p.string()) == std::string("hello\0world", 11));
}

BOOST_AUTO_TEST_CASE(uncommitted_file_leaves_target_untouched) {
  const auto p = scratch("b.txt");
  churn::write_file_atomic(p.string(), "old");
  const auto before = files_in(p.parent_path());
  {
    churn::AtomicFile f(p.string());
    f.write("new content that is never committed");
  }
  BOOST_TEST(churn::read_file(p.string()) == "old");
  BOOST_TEST(files_in(p.parent_path()) == before);  // the temporary file is gone
}

BOOST_AUTO_TEST_CASE(commit_replaces_whole_file) {
  const auto p = scratch("c.txt");
  churn::write_file_atomic(p.string(), "a much longer old content");
  churn::write_file_atomic(p.string(), "new");
  BOOST_TEST(churn::read_file(p.string()) == "new");
}

BOOST_AUTO_TEST_CASE(errors_are_io_errors) {
  BOOST_CHECK_THROW(churn::read_file("/nonexistent/dir/x.txt"), churn::IOError);
  BOOST_CHECK_THROW(churn::write_file_atomic("/nonexistent/dir/x.txt", "x"), churn::IOError);
  BOOST_CHECK_THROW(churn::write_file_atomic("", "x"), churn::IOError);
  churn::AtomicFile f(scratch("d.txt").string());
  f.commit();
  BOOST_CHECK_THROW(f.commit(), churn::IOError);
  BOOST_CHECK_THROW(f.write("x"), churn::IOError);
}

BOOST_AUTO_TEST_SUITE_END()
