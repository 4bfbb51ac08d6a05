// Recovery and history queries on a real SQLite file.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "protocol/json.hpp"
#include "protocol/task_status.hpp"
#include "store/database.hpp"
#include "store/recovery.hpp"
#include "tests/support/temp_dir.hpp"

using namespace switchboard;
using namespace switchboard::store;

namespace {

std::unique_ptr<database> open_ok(const std::filesystem::path& dir) {
  auto opened = database::open(dir);
  if (auto* err = std::get_if<std::string>(&opened))
    FAIL("open failed: " << *err);
  return std::move(std::get<std::unique_ptr<database>>(opened));
}

task_row row(const std::string& id, const std::string& state, uint64_t last_seq,
             std::string owner = "", std::string kind = "ticker",
             int64_t created = 1000) {
  task_row t;
  t.id = id;
  t.kind = kind;
  t.params = "{}";
  t.owner = std::move(owner);
  t.node = "n";
  t.state = state;
  t.created_ms = created;
  t.ended_ms = protocol::is_terminal(*protocol::task_status_from_string(state))
                   ? created + 5
                   : 0;
  t.last_seq = last_seq;
  return t;
}

} // namespace

TEST_CASE("recovery ends every unfinished task with one interrupted event",
          "[store][recovery]") {
  test::temp_dir dir{"recovery"};
  auto db = open_ok(dir.path());
  batch b;
  b.tasks = {row("t-run", "running", 2), row("t-wait", "waiting_input", 3),
             row("t-done", "completed", 2)};
  b.add("t-run", 1, "started", "{}");
  b.add("t-run", 2, "progress", "{}");
  b.add("t-wait", 1, "started", "{}");
  b.add("t-wait", 2, "log", "{}");
  b.add("t-wait", 3, "input_request", "{}");
  b.add("t-done", 1, "started", "{}");
  b.add("t-done", 2, "result", "{}");
  REQUIRE(db->write(b).empty());
  auto ended = recover(*db, 5000);
  REQUIRE(std::get<size_t>(ended) == 2);
  for (auto [id, last, was] : {std::tuple{"t-run", 2u, "running"},
                               std::tuple{"t-wait", 3u, "waiting_input"}}) {
    auto events = db->events_after(id, 0, 100);
    REQUIRE(events->size() == last + 1);
    auto& e = events->back();
    CHECK(e.seq == last + 1);
    CHECK(e.type == "error");
    rapidjson::Document doc;
    protocol::parse_json(e.data, doc);
    CHECK(std::string{doc["type"].GetString()} == "error");
    CHECK(std::string{doc["task_id"].GetString()} == id);
    CHECK(doc["seq"].GetUint64() == last + 1);
    CHECK(std::string{doc["code"].GetString()} == "interrupted");
    CHECK(std::string{doc["message"].GetString()}.find(was) !=
          std::string::npos);
    auto t = db->task(id);
    CHECK(t->state == "failed");
    CHECK(t->ended_ms == 5000);
    CHECK(t->last_seq == last + 1);
    CHECK(t->outcome.find("interrupted") != std::string::npos);
  }
  CHECK(db->events_after("t-done", 0, 100)->size() == 2);
  // Nothing is left to end: a second start changes nothing.
  CHECK(std::get<size_t>(recover(*db, 6000)) == 0);
  CHECK(db->events_after("t-run", 0, 100)->size() == 3);
}

TEST_CASE("history queries filter by owner, state, kind and time, newest "
          "first",
          "[store][query]") {
  test::temp_dir dir{"query"};
  auto db = open_ok(dir.path());
  batch b;
  b.tasks = {row("t-1", "completed", 1, "a", "ticker", 1000),
             row("t-2", "failed", 1, "a", "audit", 2000),
             row("t-3", "running", 1, "a", "ticker", 3000),
             row("t-4", "completed", 1, "b", "ticker", 4000)};
  REQUIRE(db->write(b).empty());
  auto ids = [&](task_query q) {
    std::vector<std::string> out;
    auto rows = db->list(q);
    REQUIRE(rows);
    for (auto& t : *rows)
      out.push_back(t.id);
    return out;
  };
  task_query q;
  q.owner = "a";
  CHECK(ids(q) == std::vector<std::string>{"t-3", "t-2", "t-1"});
  auto states = q;
  states.filter.states = {"completed", "failed"};
  CHECK(ids(states) == std::vector<std::string>{"t-2", "t-1"});
  auto kind = q;
  kind.filter.kind = "ticker";
  CHECK(ids(kind) == std::vector<std::string>{"t-3", "t-1"});
  auto window = q;
  window.filter.since_ms = 2000;
  window.filter.until_ms = 3000;
  CHECK(ids(window) == std::vector<std::string>{"t-2"});
  auto page = q;
  page.limit = 1;
  auto first = db->list(page);
  REQUIRE(first->size() == 1);
  page.before = first->front().ordinal;
  CHECK(ids(page) == std::vector<std::string>{"t-2"});
  // The large columns stay out of a listing.
  CHECK(first->front().params.empty());
}
