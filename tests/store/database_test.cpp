// The task history's SQLite file: schema, group commits, reads, and the
// files it must refuse without touching them.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "store/database.hpp"

using namespace switchboard::store;

namespace {

// A fresh directory under the system's temporary directory.
struct temp_dir {
  std::filesystem::path path;

  temp_dir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() /
           ("sb-store-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes a SQLite file of another program (or build) with `sql`.
void write_sqlite(const std::filesystem::path& file, const char* sql) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &raw) == SQLITE_OK);
  CHECK(sqlite3_exec(raw, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
}

std::unique_ptr<database> open_ok(const std::filesystem::path& dir) {
  auto opened = database::open(dir);
  if (auto* err = std::get_if<std::string>(&opened))
    FAIL("open failed: " << *err);
  return std::move(std::get<std::unique_ptr<database>>(opened));
}

std::string open_error(const std::filesystem::path& dir) {
  auto opened = database::open(dir);
  REQUIRE(std::holds_alternative<std::string>(opened));
  return std::get<std::string>(opened);
}

task_row ticker(const std::string& id, const std::string& state,
                uint64_t last_seq) {
  return task_row{id,
                  "ticker",
                  R"({"steps":3})",
                  "",
                  "node-a",
                  state,
                  1000,
                  state == "running" ? 0 : 2000,
                  last_seq};
}

} // namespace

TEST_CASE("a batch is stored in one commit and read back in seq order",
          "[store]") {
  temp_dir tmp;
  auto db = open_ok(tmp.path / "data");
  CHECK(db->path() == tmp.path / "data" / file_name);
  batch b;
  b.tasks.push_back(ticker("t-1", "running", 2));
  b.add("t-1", 1, "started", R"({"type":"started","seq":1})");
  b.add("t-1", 2, "progress", R"({"type":"progress","seq":2})");
  REQUIRE(db->write(b) == "");
  batch more;
  more.tasks.push_back(ticker("t-1", "completed", 3));
  more.add("t-1", 3, "result", R"({"type":"result","seq":3})");
  REQUIRE(db->write(more) == "");
  auto t = db->task("t-1");
  REQUIRE(t);
  CHECK(t->state == "completed");
  CHECK(t->last_seq == 3);
  CHECK(t->params == R"({"steps":3})");
  auto evs = *db->events_after("t-1", 1, 100);
  REQUIRE(evs.size() == 2);
  CHECK(evs[0].seq == 2);
  CHECK(evs[0].type == "progress");
  CHECK(evs[1].data == R"({"type":"result","seq":3})");
  CHECK(db->events_after("t-1", 0, 1)->size() == 1);
  CHECK_FALSE(db->task("t-nope"));
}

TEST_CASE("the history survives reopening, and running tasks are found",
          "[store]") {
  temp_dir tmp;
  {
    auto db = open_ok(tmp.path);
    batch b;
    b.tasks.push_back(ticker("t-done", "completed", 1));
    b.tasks.push_back(ticker("t-live", "running", 1));
    b.tasks.push_back(ticker("t-asks", "waiting_input", 1));
    b.add("t-live", 1, "started", "{}");
    REQUIRE(db->write(b) == "");
  }
  auto db = open_ok(tmp.path);
  CHECK(db->events_after("t-live", 0, 10)->size() == 1);
  auto left = *db->unfinished();
  REQUIRE(left.size() == 2);
  CHECK((left[0].id == "t-live" || left[0].id == "t-asks"));
}

TEST_CASE("a failed batch leaves nothing behind", "[store]") {
  temp_dir tmp;
  auto db = open_ok(tmp.path);
  batch b;
  b.tasks.push_back(ticker("t-1", "running", 1));
  b.add("t-1", 1, "started", "{}");
  REQUIRE(db->write(b) == "");
  batch bad;
  bad.tasks.push_back(ticker("t-2", "running", 1));
  bad.add("t-2", 1, "started", "{}");
  bad.add("t-1", 1, "started", "{}"); // seq 1 again
  CHECK_FALSE(db->write(bad).empty());
  CHECK_FALSE(db->task("t-2"));
  CHECK(db->events_after("t-2", 0, 10)->empty());
  // And the database still takes the next batch.
  batch next;
  next.add("t-1", 2, "result", "{}");
  CHECK(db->write(next) == "");
}

TEST_CASE("a file that is not a database is refused and left as it was",
          "[store][refuse]") {
  temp_dir tmp;
  auto file = tmp.path / file_name;
  std::string junk(8192, 'x');
  junk.replace(0, 17, "not a database at");
  std::ofstream{file, std::ios::binary} << junk;
  auto err = open_error(tmp.path);
  CHECK(err.find(file.string()) != std::string::npos);
  CHECK(err.find("not a Switchboard database") != std::string::npos);
  CHECK(read_all(file) == junk);
  CHECK_FALSE(std::filesystem::exists(tmp.path / "switchboard.db-wal"));
}

TEST_CASE("a database from a newer build is refused and left as it was",
          "[store][refuse]") {
  temp_dir tmp;
  auto file = tmp.path / file_name;
  write_sqlite(file,
               "CREATE TABLE future (x INTEGER); PRAGMA user_version=99;");
  auto before = read_all(file);
  auto err = open_error(tmp.path);
  CHECK(err.find(file.string()) != std::string::npos);
  CHECK(err.find("newer") != std::string::npos);
  CHECK(err.find("schema version 99") != std::string::npos);
  CHECK(read_all(file) == before);
}

TEST_CASE("a data directory that cannot be created is refused",
          "[store][refuse]") {
  temp_dir tmp;
  auto blocker = tmp.path / "file";
  std::ofstream{blocker} << "in the way";
  auto err = open_error(blocker / "data");
  CHECK(err.find("cannot create the data directory") != std::string::npos);
  CHECK(err.find("--data-dir") != std::string::npos);
}

TEST_CASE("several openers of one directory: each opens it in turn or is "
          "told it is in use",
          "[store]") {
  // Servers started side by side on one data directory: one holds it.
  temp_dir tmp;
  std::vector<std::thread> openers;
  std::atomic<int> ok{0};
  std::mutex mtx;
  std::vector<std::string> errors;
  for (int i = 0; i < 4; ++i)
    openers.emplace_back([&] {
      auto opened = database::open(tmp.path);
      if (std::holds_alternative<std::unique_ptr<database>>(opened)) {
        ++ok;
      } else {
        std::lock_guard<std::mutex> guard{mtx};
        errors.push_back(std::get<std::string>(opened));
      }
    });
  for (auto& t : openers)
    t.join();
  CHECK(ok >= 1);
  CHECK(ok + errors.size() == 4);
  for (auto& e : errors) {
    INFO(e);
    CHECK(e.find("is in use by another process") != std::string::npos);
  }
  // Whoever opened it migrated it once: it opens as a current database.
  auto db = open_ok(tmp.path);
  CHECK(db->max_ordinal() == 0);
}

TEST_CASE("a directory in use by a server is refused to another",
          "[store]") {
  temp_dir tmp;
  auto first = open_ok(tmp.path);
  auto err = open_error(tmp.path);
  CHECK(err.find("is in use by another process") != std::string::npos);
  CHECK(err.find("--data-dir") != std::string::npos);
  first.reset();
  CHECK(open_ok(tmp.path));
}

TEST_CASE("another program's SQLite database is refused and left as it was",
          "[store][refuse]") {
  temp_dir tmp;
  auto file = tmp.path / file_name;
  write_sqlite(file, "CREATE TABLE notes (x TEXT);");
  auto before = read_all(file);
  auto err = open_error(tmp.path);
  CHECK(err.find("another program's tables") != std::string::npos);
  CHECK(read_all(file) == before);
  CHECK_FALSE(std::filesystem::exists(tmp.path / "switchboard.db-wal"));
}
