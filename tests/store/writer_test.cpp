// The history's writer on CAF's test coordinator: appends queued together
// share one commit, and each is answered only after it.
#include <catch2/catch.hpp>

#include <random>

#include "store/writer.hpp"
#include "tests/actors/actor_fixture.hpp"

using namespace switchboard;
using namespace switchboard::store;

namespace {

struct writer_fixture : test::actor_fixture {
  std::filesystem::path dir;
  std::shared_ptr<database> db;
  writer_actor w;

  writer_fixture() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() /
          ("sb-writer-" + std::to_string(rd()) + std::to_string(rd()));
    auto opened = database::open(dir);
    REQUIRE(std::holds_alternative<std::unique_ptr<database>>(opened));
    db = std::move(std::get<std::unique_ptr<database>>(opened));
    writer_setup ws;
    ws.db = db;
    ws.tidy_interval = std::chrono::milliseconds{0};
    w = sys().spawn(writer, std::move(ws));
  }

  ~writer_fixture() {
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    run();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  uint64_t commits() {
    auto ptr = caf::actor_cast<caf::abstract_actor*>(w);
    return dynamic_cast<writer_actor::stateful_base<writer_state>*>(ptr)
        ->state.commits;
  }

  static batch events(const std::string& task, uint64_t from, uint64_t to) {
    batch b;
    b.tasks.push_back(
        task_row{task, "ticker", "{}", "", "n", "running", 1, 0, to});
    for (auto s = from; s <= to; ++s)
      b.add(task, s, "progress", "{\"seq\":" + std::to_string(s) + "}");
    return b;
  }
};

} // namespace

TEST_CASE("appends queued together share one commit", "[store][writer]") {
  writer_fixture f;
  std::vector<std::string> answers;
  for (int i = 0; i < 3; ++i)
    f.self()->send(f.w, append_atom::value,
                   writer_fixture::events("t-" + std::to_string(i), 1, 5));
  f.run();
  for (int i = 0; i < 3; ++i)
    f.self()->receive([&](std::string& r) { answers.push_back(r); });
  CHECK(answers == std::vector<std::string>{"", "", ""});
  CHECK(f.commits() == 1);
  CHECK(f.db->events_after("t-2", 0, 100)->size() == 5);
  // A later append is a group of its own.
  f.self()->send(f.w, append_atom::value, writer_fixture::events("t-0", 6, 7));
  f.run();
  f.self()->receive([&](std::string& r) { CHECK(r.empty()); });
  CHECK(f.commits() == 2);
  std::vector<event_row> read;
  f.self()->send(f.w, read_atom::value, std::string{"t-0"}, uint64_t{4},
                 uint64_t{100});
  f.run();
  f.self()->receive([&](std::vector<event_row>& rows) { read = rows; });
  REQUIRE(read.size() == 3);
  CHECK(read.front().seq == 5);
  CHECK(read.back().data == "{\"seq\":7}");
}

TEST_CASE("a failed commit is every waiter's answer, and stores nothing",
          "[store][writer]") {
  writer_fixture f;
  f.self()->send(f.w, append_atom::value, writer_fixture::events("t-a", 1, 2));
  f.run();
  f.self()->receive([&](std::string& r) { CHECK(r.empty()); });
  // Seq 2 of t-a again, grouped with a fresh task's events.
  f.self()->send(f.w, append_atom::value, writer_fixture::events("t-b", 1, 3));
  f.self()->send(f.w, append_atom::value, writer_fixture::events("t-a", 2, 2));
  f.run();
  for (int i = 0; i < 2; ++i)
    f.self()->receive([&](std::string& r) { CHECK_FALSE(r.empty()); });
  CHECK(f.db->events_after("t-b", 0, 10)->empty());
  // The writer goes on.
  f.self()->send(f.w, append_atom::value, writer_fixture::events("t-a", 3, 3));
  f.run();
  f.self()->receive([&](std::string& r) { CHECK(r.empty()); });
}
