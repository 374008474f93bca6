#include <boost/test/unit_test.hpp>

#include <signal.h>    // kill, SIGKILL
#include <sys/stat.h>  // stat, mkfifo, umask
#include <sys/wait.h>  // waitpid
#include <unistd.h>    // fork, pipe, _exit

#include <cstdlib>  // setenv, unsetenv
#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>  // churn::Json (the full type, to build a document)
#include "churn/core/error.hpp"
#include "churn/core/fileio.hpp"
#include "churn/core/json.hpp"

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
// A fresh, empty folder.
fs::path fresh_folder(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "churn_test_fileio_dirs" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}
std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}
unsigned mode_of(const fs::path& p) {
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
// Forces the named-temporary path (no O_TMPFILE) while alive.
struct NoTmpfile {
  NoTmpfile() { ::setenv("CHURN_ATOMIC_NO_TMPFILE", "1", 1); }
  ~NoTmpfile() { ::unsetenv("CHURN_ATOMIC_NO_TMPFILE"); }
  NoTmpfile(const NoTmpfile&) = delete;
  NoTmpfile& operator=(const NoTmpfile&) = delete;
};
// A child process that writes 16 MB into an AtomicFile for `target` and is killed (SIGKILL)
// in the middle of writing, before commit.
void write_and_get_killed(const fs::path& target, bool named_temporary) {
  int ready[2];
  BOOST_TEST_REQUIRE(::pipe(ready) == 0);
  const pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    if (named_temporary) ::setenv("CHURN_ATOMIC_NO_TMPFILE", "1", 1);
    try {
      churn::AtomicFile out(target.string());
      const std::string chunk(1 << 20, 'x');
      for (int i = 0; i < 16; ++i) out.write(chunk);
      if (::write(ready[1], "r", 1) != 1) ::_exit(3);
      for (;;) {
        out.write(chunk.substr(0, 1024));  // still writing when the parent kills it
        ::usleep(1000);
      }
    } catch (...) {
      ::_exit(2);
    }
  }
  ::close(ready[1]);
  char c = 0;
  BOOST_TEST_REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);
  BOOST_TEST_REQUIRE(::kill(pid, SIGKILL) == 0);
  int status = 0;
  BOOST_TEST_REQUIRE(::waitpid(pid, &status, 0) == pid);
  BOOST_TEST((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
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

BOOST_AUTO_TEST_CASE(a_killed_writer_leaves_no_temporary_file) {
  const fs::path dir = fresh_folder("killed");
  const fs::path target = dir / "model.json";
  churn::write_file_atomic(target.string(), "old");
  write_and_get_killed(target, false);
  BOOST_TEST(names_in(dir) == std::set<std::string>{"model.json"});  // nothing left behind
  BOOST_TEST(churn::read_file(target.string()) == "old");
}

BOOST_AUTO_TEST_CASE(a_killed_writer_s_named_temporary_is_removed_by_the_next_write) {
  const fs::path dir = fresh_folder("killed_named");
  const fs::path target = dir / "model.json";
  churn::write_file_atomic(target.string(), "old");
  write_and_get_killed(target, true);
  // without O_TMPFILE the killed writer's file stays until the next write of that target
  BOOST_TEST(names_in(dir).size() == 2u);
  BOOST_TEST(churn::read_file(target.string()) == "old");
  churn::write_file_atomic((dir / "other.json").string(), "x");  // another target: not its file
  BOOST_TEST(names_in(dir).size() == 3u);
  churn::write_file_atomic(target.string(), "new");
  BOOST_TEST(names_in(dir) == (std::set<std::string>{"model.json", "other.json"}));
  BOOST_TEST(churn::read_file(target.string()) == "new");
}

BOOST_AUTO_TEST_CASE(a_live_writer_s_temporary_file_is_not_removed) {
  const fs::path dir = fresh_folder("live");
  const fs::path target = dir / "a.csv";
  const NoTmpfile named;
  churn::AtomicFile first(target.string());
  first.write("first");
  BOOST_TEST(names_in(dir).size() == 1u);  // its named temporary file
  churn::write_file_atomic(target.string(), "second");
  first.commit();  // its temporary file was left alone
  BOOST_TEST(churn::read_file(target.string()) == "first");
  BOOST_TEST(names_in(dir) == std::set<std::string>{"a.csv"});
}

BOOST_AUTO_TEST_CASE(the_target_s_mode_is_kept_and_new_files_follow_the_umask) {
  for (const bool named : {false, true}) {
    const fs::path dir = fresh_folder(named ? "mode_named" : "mode");
    if (named) ::setenv("CHURN_ATOMIC_NO_TMPFILE", "1", 1);
    const fs::path p = dir / "customers.csv";
    const mode_t umask = ::umask(022);
    churn::write_file_atomic(p.string(), "new file");
    BOOST_TEST(mode_of(p) == 0644u);
    BOOST_TEST_REQUIRE(::chmod(p.c_str(), 0600) == 0);
    churn::write_file_atomic(p.string(), "customer data");
    BOOST_TEST(mode_of(p) == 0600u);  // not world-readable again
    BOOST_TEST_REQUIRE(::chmod(p.c_str(), 0640) == 0);
    churn::save_json_file(churn::Json{{"a", 1}}, p.string());  // what every model save uses
    BOOST_TEST(mode_of(p) == 0640u);
    ::umask(077);
    churn::write_file_atomic((dir / "private.csv").string(), "x");
    BOOST_TEST(mode_of(dir / "private.csv") == 0600u);
    ::umask(umask);
    ::unsetenv("CHURN_ATOMIC_NO_TMPFILE");
    BOOST_TEST(names_in(dir) == (std::set<std::string>{"customers.csv", "private.csv"}));
  }
}

BOOST_AUTO_TEST_CASE(fifos_devices_and_directories_are_refused) {
  const fs::path dir = fresh_folder("special");
  BOOST_TEST_REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  fs::create_symlink("/dev/null", dir / "null");  // a device, reached through a link
  fs::create_directory(dir / "folder");
  for (const bool named : {false, true}) {
    if (named) ::setenv("CHURN_ATOMIC_NO_TMPFILE", "1", 1);
    for (const char* name : {"fifo", "null", "folder"}) {
      const std::string p = (dir / name).string();
      BOOST_CHECK_THROW(churn::write_file_atomic(p, "x"), churn::IOError);
      try {
        churn::AtomicFile f(p);
        BOOST_ERROR("no error for " << name);
      } catch (const churn::IOError& e) {
        BOOST_TEST(std::string(e.what()).find("not a regular file") != std::string::npos);
        BOOST_TEST(std::string(e.what()).find(name) != std::string::npos);
      }
    }
    ::unsetenv("CHURN_ATOMIC_NO_TMPFILE");
  }
  BOOST_TEST(fs::is_fifo(dir / "fifo"));
  BOOST_TEST(fs::is_symlink(dir / "null"));
  BOOST_TEST(fs::is_character_file("/dev/null"));
  BOOST_TEST(names_in(dir) == (std::set<std::string>{"fifo", "folder", "null"}));
}

BOOST_AUTO_TEST_CASE(symbolic_links_are_followed_and_stay) {
  const fs::path dir = fresh_folder("links");
  fs::create_directory(dir / "real");
  churn::write_file_atomic((dir / "real" / "model.json").string(), "v1");
  BOOST_TEST_REQUIRE(::chmod((dir / "real" / "model.json").c_str(), 0600) == 0);
  fs::create_symlink("real/model.json", dir / "current.json");    // relative
  fs::create_symlink(dir / "current.json", dir / "latest.json");  // a chain, absolute
  churn::write_file_atomic((dir / "latest.json").string(), "v2");
  BOOST_TEST(fs::is_symlink(dir / "current.json"));
  BOOST_TEST(fs::is_symlink(dir / "latest.json"));
  BOOST_TEST(churn::read_file((dir / "real" / "model.json").string()) == "v2");
  BOOST_TEST(mode_of(dir / "real" / "model.json") == 0600u);
  // a dangling link creates the file it names
  fs::create_symlink("real/new.json", dir / "dangling.json");
  churn::write_file_atomic((dir / "dangling.json").string(), "v3");
  BOOST_TEST(churn::read_file((dir / "real" / "new.json").string()) == "v3");
  BOOST_TEST(fs::is_symlink(dir / "dangling.json"));
  // a loop is an IOError
  fs::create_symlink("loop_b", dir / "loop_a");
  fs::create_symlink("loop_a", dir / "loop_b");
  BOOST_CHECK_THROW(churn::write_file_atomic((dir / "loop_a").string(), "x"), churn::IOError);
  BOOST_TEST(names_in(dir / "real") == (std::set<std::string>{"model.json", "new.json"}));
  BOOST_TEST(names_in(dir).size() == 6u);
}

BOOST_AUTO_TEST_CASE(the_named_temporary_path_leaves_nothing_on_failure) {
  const fs::path dir = fresh_folder("named_failure");
  const fs::path p = dir / "scores.csv";
  churn::write_file_atomic(p.string(), "old");
  {
    const NoTmpfile named;
    {
      churn::AtomicFile f(p.string());
      f.write("never committed");
      BOOST_TEST(names_in(dir).size() == 2u);  // the named temporary file is there meanwhile
    }
    BOOST_TEST(names_in(dir) == std::set<std::string>{"scores.csv"});
    BOOST_TEST(churn::read_file(p.string()) == "old");
    // a rename that fails (the target became a folder after the check)
    churn::AtomicFile f(p.string());
    f.write("x");
    fs::remove(p);
    fs::create_directories(p / "inside");
    BOOST_CHECK_THROW(f.commit(), churn::IOError);
    BOOST_TEST(names_in(dir) == std::set<std::string>{"scores.csv"});
  }
  {
    churn::AtomicFile f((dir / "unnamed.csv").string());
    f.write("x");
    BOOST_TEST(names_in(dir) == std::set<std::string>{"scores.csv"});  // nothing visible
  }
  BOOST_TEST(names_in(dir) == std::set<std::string>{"scores.csv"});
}

BOOST_AUTO_TEST_SUITE_END()
