// Tasks with the history on CAF's test coordinator: events reach
// subscribers only once committed, a failing store ends tasks explicitly,
// resumes behind the log and finished tasks come from the store, the list is
// the history, and retention runs on virtual time.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "actors/error.hpp"
#include "actors/task.hpp"
#include "actors/task_manager.hpp"
#include "registry/tool_registry.hpp"
#include "store/writer.hpp"
#include "tests/actors/actor_fixture.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/builtin.hpp"
#include "tools/worker_pool.hpp"
#include "tools/workspace.hpp"

using namespace switchboard;
using namespace switchboard::actors;
using namespace std::chrono_literals;
using protocol::error_code;

namespace {

// A store that holds every append until the test releases it (a
// `commit_atom` sent to it), and knows no stored task: the test decides when
// a commit is done and how it ends.
struct gate {
  std::vector<caf::typed_response_promise<std::string>> held;
  size_t appends = 0;
  // What the next release answers ("" for success).
  std::string result;
};

// The test coordinator runs every actor on the test's thread.
gate the_gate;

store::writer_actor::behavior_type
gated_store(store::writer_actor::pointer self) {
  return {
      [=](store::append_atom, store::batch&) -> caf::result<std::string> {
        ++the_gate.appends;
        auto p = self->make_response_promise<std::string>();
        the_gate.held.push_back(p);
        return p;
      },
      [](store::read_atom, std::string&, uint64_t, uint64_t) {
        return std::vector<store::event_row>{};
      },
      [](store::record_atom, std::string&) {
        return std::vector<store::task_row>{};
      },
      [](store::query_atom, store::task_query&) {
        return std::vector<store::task_row>{};
      },
      [](store::commit_atom) {
        // Promises are delivered from within the actor.
        auto now = std::move(the_gate.held);
        the_gate.held.clear();
        for (auto& p : now)
          p.deliver(the_gate.result);
      },
      [](store::tidy_atom) {},
  };
}

error_code code_of(const caf::error& e) {
  return describe(e).code;
}

enum class store_kind { sqlite, gated };

struct history_fixture : test::actor_fixture {
  test::fixture_tree tree;
  test::temp_dir dir{"history"};
  std::shared_ptr<store::database> db;
  std::shared_ptr<const tools::workspace> ws;
  tool_registry_actor reg;
  store::writer_actor writer;
  task_manager_actor mgr;
  gate& g = the_gate;
  // Events seen so far by seq.
  std::map<uint64_t, std::string> log;
  bool ended = false;

  explicit history_fixture(store_kind kind = store_kind::sqlite,
                           task_limits limits = {}) {
    ws = std::make_shared<const tools::workspace>(
        std::get<tools::workspace>(tools::workspace::open(tree.root())));
    registry::registry_setup rs;
    rs.tools = tools::builtin_tools();
    rs.node = "n1";
    rs.workspace = ws;
    rs.pool = std::make_shared<tools::worker_pool>(0, 64);
    reg = sys().spawn(registry::tool_registry, std::move(rs));
    if (kind == store_kind::sqlite) {
      auto opened = store::database::open(dir.path());
      REQUIRE(std::holds_alternative<std::unique_ptr<store::database>>(opened));
      db = std::move(std::get<std::unique_ptr<store::database>>(opened));
      store::writer_setup w;
      w.db = db;
      w.tidy_interval = 0ms;
      writer = sys().spawn(store::writer, std::move(w));
    } else {
      the_gate = gate{};
      writer = sys().spawn(gated_store);
    }
    task_manager_setup ms{reg, ws, limits};
    ms.store = writer;
    ms.node = "n1";
    mgr = sys().spawn(task_manager, std::move(ms));
  }

  // Takes what arrived: events into `log`, the rest returned.
  std::vector<test::received> collect() {
    return test::sort_events(drain(), log, &ended);
  }

  // Starts a task with the probe subscribed from seq 0; returns its id.
  std::string start(const std::string& kind, const std::string& params,
                    const std::string& owner = "") {
    self()->send(mgr, start_atom::value, kind, params, owner, sink(), false);
    run();
    auto sub = test::only<subscription>(collect());
    return sub.task_id;
  }

  // Grants credit until the probe has the terminal event; returns what
  // came besides events (gap notices, for one).
  std::vector<test::received> read_to_end(const task_actor& t) {
    std::vector<test::received> others;
    for (int i = 0; i < 1000 && !ended; ++i) {
      self()->send(t, credit_atom::value, sink(), event_window);
      run();
      for (auto& r : collect())
        others.push_back(std::move(r));
    }
    REQUIRE(ended);
    return others;
  }

  // Subscribes the probe afresh (an empty log) from `after` and reads to the
  // end; returns the subscription and everything else that came.
  std::vector<test::received> replay(const task_actor& t, uint64_t after,
                                     bool coalesce = false) {
    log.clear();
    ended = false;
    self()->send(t, subscribe_atom::value, sink(), after, coalesce);
    run();
    auto out = collect();
    for (auto& r : read_to_end(t))
      out.push_back(std::move(r));
    return out;
  }

  // The types of the events seen, checking seqs 1..n without a gap.
  std::vector<std::string> types() {
    std::vector<std::string> out;
    uint64_t expected = 1;
    for (auto& [seq, json] : log) {
      REQUIRE(seq == expected++);
      out.push_back(test::parse(json)["type"].GetString());
    }
    return out;
  }

  task_actor lookup(const std::string& id, const std::string& principal = "") {
    self()->send(mgr, get_atom::value, id, principal);
    run();
    return test::only<task_actor>(collect());
  }
};

} // namespace

TEST_CASE("events reach subscribers only once the store committed them",
          "[actors][history]") {
  history_fixture f{store_kind::gated};
  f.self()->send(f.mgr, start_atom::value, std::string{"ticker"},
                 std::string{R"({"steps":3,"interval_ms":0})"}, std::string{},
                 f.sink(), false);
  f.run();
  // The `started` event is emitted but not committed: the start is not
  // answered yet, and nothing is out.
  CHECK(f.collect().empty());
  CHECK(f.log.empty());
  REQUIRE(f.g.held.size() == 1);
  // Each commit lets what it holds out, and the flow goes on.
  for (int i = 0; i < 20 && !f.ended; ++i) {
    auto seen = f.log.size();
    f.self()->send(f.writer, store::commit_atom::value);
    f.run();
    f.collect();
    // Each commit holds new events, and lets them out.
    CHECK(f.log.size() > seen);
  }
  REQUIRE(f.ended);
  CHECK(f.types() == std::vector<std::string>{"started", "progress", "progress",
                                              "progress", "result"});
  // One append in flight per task at a time.
  CHECK(f.g.appends <= 5);
}

TEST_CASE("a store that fails its commit ends the task with "
          "storage_unavailable, and its watcher sees the end",
          "[actors][history]") {
  history_fixture f{store_kind::gated};
  f.self()->send(f.mgr, start_atom::value, std::string{"ticker"},
                 std::string{R"({"steps":1000,"interval_ms":10})"},
                 std::string{}, f.sink(), false);
  f.run();
  f.g.result = "database or disk is full";
  f.self()->send(f.writer, store::commit_atom::value);
  f.run();
  f.collect();
  REQUIRE(f.ended);
  auto types = f.types();
  REQUIRE(types.back() == "error");
  auto last = test::parse(f.log.rbegin()->second);
  CHECK(std::string{last["code"].GetString()} == "storage_unavailable");
  CHECK(std::string{last["message"].GetString()}.find("disk is full") !=
        std::string::npos);
}

TEST_CASE("a resume behind the in-memory log reads the store, in order and "
          "without a gap",
          "[actors][history]") {
  task_limits limits;
  limits.max_log = 5;
  history_fixture f{store_kind::sqlite, limits};
  auto id = f.start("ticker", R"({"steps":600,"interval_ms":0})");
  auto t = f.lookup(id);
  f.read_to_end(t);
  auto live = f.log;
  REQUIRE(live.size() == 602);
  // A second subscriber from seq 0 reads 597 events from the store, then
  // the last five from memory.
  auto rs = f.replay(t, 0);
  CHECK_FALSE(test::only<subscription>(rs).expired);
  CHECK(f.log == live);
  for (auto& r : rs)
    CHECK_FALSE(std::holds_alternative<test::received_gap>(r));
}

TEST_CASE("a coalescing subscriber resuming from the store gets the last of "
          "each run of progress events, with skipped",
          "[actors][history]") {
  task_limits limits;
  limits.max_log = 5;
  history_fixture f{store_kind::sqlite, limits};
  auto id = f.start("ticker", R"({"steps":2000,"interval_ms":0})");
  auto t = f.lookup(id);
  f.read_to_end(t);
  REQUIRE(f.log.size() == 2002);
  f.replay(t, 0, true);
  // Every event but progress arrives; the progress events sent plus their
  // `skipped` account for all 2,000, and the last one is step 2,000.
  uint64_t progress = 0, accounted = 0, last_step = 0;
  std::vector<std::string> others;
  uint64_t prev = 0;
  for (auto& [seq, json] : f.log) {
    CHECK(seq > prev);
    prev = seq;
    auto doc = test::parse(json);
    std::string type = doc["type"].GetString();
    if (type != "progress") {
      others.push_back(type);
      continue;
    }
    ++progress;
    accounted +=
        1 + (doc.HasMember("skipped") ? doc["skipped"].GetUint64() : 0);
    last_step = doc["step"].GetUint64();
  }
  CHECK(others == std::vector<std::string>{"started", "result"});
  CHECK(accounted == 2000);
  CHECK(last_step == 2000);
  CHECK(progress < 100);
}

TEST_CASE("a finished task leaves memory and comes back from the history",
          "[actors][history]") {
  task_limits limits;
  limits.retention = 1s;
  history_fixture f{store_kind::sqlite, limits};
  auto id = f.start("ticker", R"({"steps":3,"interval_ms":0})", "alice");
  auto t = f.lookup(id, "alice");
  f.read_to_end(t);
  auto live = f.log;
  f.self()->send(t, snapshot_atom::value);
  f.run();
  auto live_snapshot = test::only<std::string>(f.collect());
  // Retention in memory ends: the actor goes.
  f.advance(2s);
  bool gone = false;
  f.self()
      ->request(t, caf::infinite, get_atom::value)
      .receive([](protocol::task_info&) {}, [&](caf::error&) { gone = true; });
  CHECK(gone);
  // The manager loads it back for its owner only.
  f.self()->send(f.mgr, get_atom::value, id, std::string{"mallory"});
  f.run();
  CHECK(code_of(test::only<caf::error>(f.collect())) == error_code::forbidden);
  f.self()->send(f.mgr, get_atom::value, std::string{"t-nope"},
                 std::string{"alice"});
  f.run();
  CHECK(code_of(test::only<caf::error>(f.collect())) ==
        error_code::unknown_task);
  auto back = f.lookup(id, "alice");
  f.self()->send(back, snapshot_atom::value);
  f.run();
  auto snapshot = test::parse(test::only<std::string>(f.collect()));
  auto before = test::parse(live_snapshot);
  CHECK(std::string{snapshot["state"].GetString()} == "completed");
  CHECK(snapshot["last_seq"].GetUint64() == 5);
  CHECK(snapshot["result"] == before["result"]);
  CHECK(snapshot["progress"] == before["progress"]);
  CHECK(snapshot["params"] == before["params"]);
  // Its full log, resumed from any seq, is the one sent live.
  f.replay(back, 2);
  std::map<uint64_t, std::string> tail{live.find(3), live.end()};
  CHECK(f.log == tail);
  // And it is stopped or answered like any finished task.
  f.self()->send(back, stop_atom::value, std::string{});
  f.run();
  CHECK(test::only<std::string>(f.collect()) == "completed");
  f.self()->send(back, input_atom::value, std::string{"r-1"},
                 std::string{"true"});
  f.run();
  CHECK(code_of(test::only<caf::error>(f.collect())) ==
        error_code::no_pending_input);
}

TEST_CASE("the task list is the history: filters, newest first, a cursor",
          "[actors][history]") {
  history_fixture f;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(f.start("ticker", R"({"steps":1,"interval_ms":0})"));
    f.read_to_end(f.lookup(ids.back()));
    f.ended = false;
  }
  // One more that waits (a long interval), so two states are listed.
  auto waiting = f.start("ticker", R"({"steps":5,"interval_ms":60000})");
  auto list = [&](protocol::task_filter filter, uint64_t limit,
                  std::string cursor) {
    f.self()->send(f.mgr, list_atom::value, std::string{}, std::move(filter),
                   limit, std::move(cursor));
    f.run();
    return test::only<test::task_page>(f.collect());
  };
  auto all = list({}, 10, "");
  REQUIRE(all.first.size() == 4);
  CHECK(all.first[0].task_id == waiting);
  CHECK(all.first[0].state == "running");
  CHECK(all.first[0].ended_ms == 0);
  CHECK(all.first[1].task_id == ids[2]);
  CHECK(all.first[1].state == "completed");
  CHECK(all.first[1].ended_ms >= all.first[1].created_ms);
  CHECK(all.first[1].node == "n1");
  CHECK(all.first[1].last_seq == 3);
  CHECK(all.second.empty());
  protocol::task_filter done;
  done.states = {"completed"};
  auto first = list(done, 2, "");
  REQUIRE(first.first.size() == 2);
  CHECK(first.first[0].task_id == ids[2]);
  CHECK(first.first[1].task_id == ids[1]);
  REQUIRE_FALSE(first.second.empty());
  auto second = list(done, 2, first.second);
  REQUIRE(second.first.size() == 1);
  CHECK(second.first[0].task_id == ids[0]);
  CHECK(second.second.empty());
  protocol::task_filter other;
  other.kind = "audit";
  CHECK(list(other, 10, "").first.empty());
  protocol::task_filter future;
  future.since_ms = protocol::now_ms() + 60000;
  CHECK(list(future, 10, "").first.empty());
  f.self()->send(f.mgr, list_atom::value, std::string{},
                 protocol::task_filter{}, uint64_t{10}, std::string{"x1"});
  f.run();
  CHECK(code_of(test::only<caf::error>(f.collect())) ==
        error_code::bad_message);
}

TEST_CASE("retention deletes expired and surplus tasks in small steps, on "
          "virtual time",
          "[actors][history]") {
  test::actor_fixture f;
  test::temp_dir dir{"retention"};
  auto opened = store::database::open(dir.path());
  REQUIRE(std::holds_alternative<std::unique_ptr<store::database>>(opened));
  std::shared_ptr<store::database> db =
      std::move(std::get<std::unique_ptr<store::database>>(opened));
  int64_t now = 1'000'000'000'000;
  store::batch b;
  for (int i = 0; i < 5; ++i) {
    auto id = "t-old" + std::to_string(i);
    b.tasks.push_back(store::task_row{id, "ticker", "{}", "", "n", "completed",
                                      now - 7200'000, now - 7200'000, 1});
    b.add(id, 1, "started", "{}");
  }
  for (int i = 0; i < 3; ++i) {
    auto id = "t-new" + std::to_string(i);
    b.tasks.push_back(store::task_row{id, "ticker", "{}", "", "n", "completed",
                                      now - 60'000 + i, now - 60'000 + i, 1});
    b.add(id, 1, "started", "{}");
  }
  b.tasks.push_back(store::task_row{"t-running", "ticker", "{}", "", "n",
                                    "running", now - 9000'000, 0, 1});
  REQUIRE(db->write(b).empty());
  uint64_t deleted_tasks = 0, deleted_events = 0, transactions = 0;
  store::writer_setup ws;
  ws.db = db;
  ws.retention = 1h;
  ws.max_tasks = 3; // of 4 left after the expired go: the oldest leaves
  ws.tidy_interval = 1min;
  ws.tidy_chunk = 2;
  ws.now_ms = [&] { return now; };
  ws.hooks.expired = [&](const store::expired& x) {
    deleted_tasks += x.tasks;
    deleted_events += x.events;
    ++transactions;
  };
  auto w = f.sys().spawn(store::writer, ws);
  f.run();
  // Five expired plus one over the cap, two per transaction.
  CHECK(deleted_tasks == 6);
  CHECK(deleted_events == 6);
  CHECK(transactions == 3);
  CHECK_FALSE(db->task("t-old0"));
  CHECK_FALSE(db->task("t-new0"));
  CHECK(db->task("t-new1"));
  CHECK(db->task("t-running"));
  // Nothing more until time moves; then the next run finds the rest due.
  now += 2 * 3600'000;
  f.advance(1min);
  CHECK_FALSE(db->task("t-new2"));
  CHECK(db->task("t-running"));
  caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  f.run();
}
