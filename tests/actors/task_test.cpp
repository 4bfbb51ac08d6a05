#include <catch2/catch.hpp>

#include <fstream>
#include <map>

#include <sys/stat.h>

#include "actors/error.hpp"
#include "actors/task.hpp"
#include "actors/task_manager.hpp"
#include "registry/tool_registry.hpp"
#include "tests/actors/actor_fixture.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tools/builtin.hpp"
#include "tools/worker_pool.hpp"
#include "tools/workspace.hpp"

using namespace switchboard;
using namespace switchboard::actors;
using namespace std::chrono_literals;
using protocol::error_code;

namespace {

// The tasks of the single list page in `rs`.
std::vector<protocol::task_info>
list_page(const std::vector<test::received>& rs) {
  return test::only<test::task_page>(rs).first;
}

// Cancels the silent registry received (caller, call id), in order; the
// test coordinator runs every actor on the test's thread.
std::vector<std::pair<std::string, std::string>> silent_cancels;

// A registry whose calls never complete, to catch a task mid-call.
tool_registry_actor::behavior_type
silent_registry(tool_registry_actor::pointer self) {
  silent_cancels.clear();
  return {
      [](list_atom) { return std::vector<protocol::tool_info>{}; },
      [=](call_atom, std::string&, std::string&, std::string&,
          std::string&) -> caf::result<std::string> {
        return self->make_response_promise<std::string>();
      },
      [](cancel_atom, std::string& caller, std::string& call_id) {
        silent_cancels.emplace_back(caller, call_id);
      },
      [](cancel_atom, std::string& caller) {
        silent_cancels.emplace_back(caller, "*");
      },
      [](done_atom, uint64_t, uint8_t, std::string&, std::string&) {},
      [](remote_atom, std::vector<remote_catalog>&) {},
  };
}

// A registry whose every call fails.
tool_registry_actor::behavior_type failing_registry() {
  return {
      [](list_atom) { return std::vector<protocol::tool_info>{}; },
      [](call_atom, std::string&, std::string&, std::string&,
         std::string&) -> caf::result<std::string> {
        return make_error(error_code::tool_failed, "disk on fire");
      },
      [](cancel_atom, std::string&, std::string&) {},
      [](cancel_atom, std::string&) {},
      [](done_atom, uint64_t, uint8_t, std::string&, std::string&) {},
      [](remote_atom, std::vector<remote_catalog>&) {},
  };
}

enum class registry_kind { real, silent, failing };

struct task_fixture : test::actor_fixture {
  test::fixture_tree tree;
  std::shared_ptr<const tools::workspace> ws;
  tool_registry_actor reg;
  task_manager_actor mgr;
  // Events seen so far by seq, from backlogs and live messages.
  std::map<uint64_t, std::string> log;

  explicit task_fixture(registry_kind kind = registry_kind::real,
                        task_limits limits = {}) {
    ws = std::make_shared<const tools::workspace>(
        std::get<tools::workspace>(tools::workspace::open(tree.root())));
    switch (kind) {
    case registry_kind::real: {
      registry::registry_setup setup;
      setup.tools = tools::builtin_tools();
      setup.node = "n1";
      setup.workspace = ws;
      setup.pool = std::make_shared<tools::worker_pool>(0, 64);
      reg = sys().spawn(registry::tool_registry, std::move(setup));
      break;
    }
    case registry_kind::silent: reg = sys().spawn(silent_registry); break;
    case registry_kind::failing: reg = sys().spawn(failing_registry); break;
    }
    task_manager_setup ms{reg, ws, limits};
    mgr = sys().spawn(task_manager, std::move(ms));
  }

  // Collects everything received; events go to `log` (deduplicated by seq),
  // the rest is returned.
  std::vector<test::received> collect() {
    return test::sort_events(drain(), log);
  }

  // Starts a task and subscribes the probe from seq 0.
  /// Spawns a task of a test's own kind `k` (which must outlive it) and
  /// subscribes the sink from seq 1.
  task_actor spawn_flow(const flows::flow_kind& k) {
    task_setup ts;
    ts.id = "t-test";
    ts.kind = &k;
    ts.params = "{}";
    ts.registry = reg;
    ts.workspace = ws;
    auto t = sys().spawn(task, std::move(ts));
    self()->send(t, subscribe_atom::value, sink(), uint64_t{0}, false);
    run();
    return t;
  }

  task_actor start(const std::string& kind, const std::string& params) {
    self()->send(mgr, start_atom::value, kind, params, std::string{});
    run();
    auto started = test::only<std::pair<std::string, task_actor>>(collect());
    self()->send(started.second, subscribe_atom::value, sink(), uint64_t{0},
                 false);
    run();
    collect();
    return started.second;
  }

  // Returns the types of the events seen, in seq order, checking that the
  // seqs are 1..n without gaps.
  std::vector<std::string> types() {
    collect();
    std::vector<std::string> result;
    uint64_t expected = 1;
    for (auto& [seq, json] : log) {
      REQUIRE(seq == expected++);
      result.push_back(test::parse(json)["type"].GetString());
    }
    return result;
  }

  // Returns the last event seen.
  rapidjson::Document last() {
    collect();
    REQUIRE_FALSE(log.empty());
    return test::parse(log.rbegin()->second);
  }

  // Returns the task's state.
  std::string state_of(const task_actor& t) {
    self()->send(t, get_atom::value);
    run();
    return test::only<protocol::task_info>(collect()).state;
  }

  // Sends a message to `t`, runs, and returns the single reply of type T.
  template<class T, class... Ts>
  T ask(const task_actor& t, Ts&&... xs) {
    self()->send(t, std::forward<Ts>(xs)...);
    run();
    return test::only<T>(collect());
  }

  ~task_fixture() {
    caf::anon_send_exit(mgr, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  }
};

} // namespace

namespace {

size_t count(const std::vector<std::string>& xs, const std::string& x) {
  return static_cast<size_t>(std::count(xs.begin(), xs.end(), x));
}

size_t terminal_events(const std::vector<std::string>& xs) {
  return count(xs, "result") + count(xs, "error") + count(xs, "stopped");
}

error_code code_of(const caf::error& e) {
  return describe(e).code;
}

} // namespace

TEST_CASE("ticker emits every step in order and completes", "[task]") {
  task_fixture f;
  auto t = f.start("ticker", R"({"steps":3,"interval_ms":100})");
  CHECK(f.types() == std::vector<std::string>{"started"});
  CHECK(f.state_of(t) == "running");
  f.advance(100ms);
  CHECK(f.types() == std::vector<std::string>{"started", "progress"});
  f.advance(100ms);
  f.advance(100ms);
  CHECK(f.types() == std::vector<std::string>{"started", "progress", "progress",
                                              "progress", "result"});
  auto res = f.last();
  CHECK(res["data"]["steps"].GetInt() == 3);
  CHECK(f.state_of(t) == "completed");
  auto p = test::parse(f.log[4]);
  CHECK(p["step"].GetInt() == 3);
  CHECK(p["total"].GetInt() == 3);
}

TEST_CASE("stop while running ends with one stopped event, idempotently",
          "[task]") {
  task_fixture f;
  auto t = f.start("ticker", R"({"steps":10,"interval_ms":1000})");
  f.advance(1000ms);
  CHECK(f.ask<std::string>(t, stop_atom::value, std::string{"user"}) ==
        "cancelled");
  auto types = f.types();
  CHECK(types.back() == "stopped");
  CHECK(terminal_events(types) == 1);
  CHECK(std::string{f.last()["reason"].GetString()} == "user");
  // Stopping again answers the terminal state and appends nothing.
  CHECK(f.ask<std::string>(t, stop_atom::value, std::string{"again"}) ==
        "cancelled");
  f.advance(20s);
  CHECK(f.types() == types);
}

TEST_CASE("stop during a tool call ignores the late reply", "[task]") {
  task_limits limits;
  limits.tool_timeout = 5s;
  task_fixture f{registry_kind::silent, limits};
  auto t = f.start("audit", R"({"path":"."})");
  CHECK(f.types().back() == "tool_call");
  CHECK(f.ask<std::string>(t, stop_atom::value, std::string{}) == "cancelled");
  // The call's timeout fires later and must not touch the finished task.
  f.advance(10s);
  auto types = f.types();
  CHECK(types.back() == "stopped");
  CHECK(count(types, "tool_result") == 0);
  CHECK(terminal_events(types) == 1);
}

TEST_CASE("a tool call that times out fails the task", "[task]") {
  task_limits limits;
  limits.tool_timeout = 5s;
  task_fixture f{registry_kind::silent, limits};
  auto t = f.start("audit", R"({"path":"."})");
  f.advance(5s);
  auto types = f.types();
  CHECK(count(types, "tool_result") == 1);
  CHECK(types.back() == "error");
  CHECK(std::string{f.last()["code"].GetString()} == "tool_failed");
  CHECK(f.state_of(t) == "failed");
}

TEST_CASE("a failing tool fails the task with tool_failed", "[task]") {
  task_fixture f{registry_kind::failing};
  auto t = f.start("audit", R"({"path":"."})");
  auto types = f.types();
  CHECK(types.back() == "error");
  CHECK(terminal_events(types) == 1);
  auto err = f.last();
  CHECK(std::string{err["code"].GetString()} == "tool_failed");
  CHECK(std::string{err["message"].GetString()}.find("disk on fire") !=
        std::string::npos);
  CHECK(f.state_of(t) == "failed");
}

TEST_CASE("audit reports the planted findings", "[task][audit]") {
  task_fixture f;
  auto t = f.start("audit", R"({"path":".","large_file_bytes":1024})");
  auto types = f.types();
  CHECK(types.front() == "started");
  CHECK(types.back() == "result");
  CHECK(count(types, "tool_call") == count(types, "tool_result"));
  CHECK(count(types, "tool_call") >= 2);
  auto res = f.last();
  auto& data = res["data"];
  CHECK(data["files_scanned"].GetInt() == 6);
  CHECK(data["counts"]["high"].GetInt() == 2);
  CHECK(data["counts"]["medium"].GetInt() == 3);
  CHECK(data["counts"]["low"].GetInt() == 1);
  CHECK(data["findings"].Size() == 6);
  // No event carries the planted key in full.
  for (auto& [seq, json] : f.log)
    CHECK(json.find("AKIAIOSFODNN7EXAMPLE") == std::string::npos);
  CHECK(f.state_of(t) == "completed");
}

TEST_CASE("triage validates input and keeps the request pending",
          "[task][input]") {
  task_fixture f;
  auto t = f.start("triage", R"({"path":".","min_severity":"high"})");
  auto req = f.last();
  REQUIRE(std::string{req["type"].GetString()} == "input_request");
  CHECK(f.state_of(t) == "waiting_input");
  std::string rid = req["request_id"].GetString();
  // A value outside the enum is refused and the request stays pending.
  auto err =
      f.ask<caf::error>(t, input_atom::value, rid, std::string{R"("maybe")"});
  CHECK(code_of(err) == error_code::invalid_input);
  CHECK(f.state_of(t) == "waiting_input");
  auto snap = test::parse(f.ask<std::string>(t, snapshot_atom::value));
  CHECK(std::string{snap["pending_input"]["request_id"].GetString()} == rid);
  // An unknown request id is refused.
  err = f.ask<caf::error>(t, input_atom::value, std::string{"r-99"},
                          std::string{R"("fix")"});
  CHECK(code_of(err) == error_code::no_pending_input);
  // The right answer goes through and the next request follows.
  f.ask<ok_atom>(t, input_atom::value, rid, std::string{R"("fix")"});
  auto types = f.types();
  CHECK(count(types, "input_received") == 1);
  auto req2 = f.last();
  REQUIRE(std::string{req2["type"].GetString()} == "input_request");
  std::string rid2 = req2["request_id"].GetString();
  CHECK(rid2 != rid);
  f.ask<ok_atom>(t, input_atom::value, rid2, std::string{R"("accept")"});
  auto res = f.last();
  REQUIRE(std::string{res["type"].GetString()} == "result");
  CHECK(res["data"]["decisions"].Size() == 2);
  CHECK(res["data"]["counts"]["fix"].GetInt() == 1);
  CHECK(res["data"]["counts"]["accept"].GetInt() == 1);
  CHECK(res["data"]["counts"]["false_positive"].GetInt() == 0);
  CHECK(f.state_of(t) == "completed");
  // The finished request cannot be answered again.
  err = f.ask<caf::error>(t, input_atom::value, rid2, std::string{R"("fix")"});
  CHECK(code_of(err) == error_code::no_pending_input);
}

TEST_CASE("an unanswered input request times out: a triage keeps the "
          "decisions made and lists the rest as undecided",
          "[task][input]") {
  task_fixture f;
  auto t = f.start("triage", R"({"path":".","input_timeout_ms":1000})");
  CHECK(f.last()["type"].GetString() == std::string{"input_request"});
  auto rid = std::string{f.last()["request_id"].GetString()};
  f.ask<ok_atom>(t, input_atom::value, rid, std::string{R"("fix")"});
  f.run();
  f.collect();
  CHECK(f.last()["type"].GetString() == std::string{"input_request"});
  f.advance(999ms);
  CHECK(f.state_of(t) == "waiting_input");
  f.advance(1ms);
  auto types = f.types();
  CHECK(types.back() == "result");
  CHECK(terminal_events(types) == 1);
  CHECK(f.state_of(t) == "completed");
  auto last = f.last();
  auto& data = last["data"];
  REQUIRE(data["decisions"].Size() == 1);
  CHECK(std::string{data["decisions"][0]["decision"].GetString()} == "fix");
  // The fixture tree has 5 findings at or above medium: 1 decided, 4 not.
  CHECK(data["undecided"].Size() == 4);
  CHECK(std::string{data["timed_out"].GetString()}.find("within 1000 ms") !=
        std::string::npos);
  CHECK(data["counts"]["fix"].GetInt64() == 1);
}

TEST_CASE("stop while waiting for input", "[task][input]") {
  task_fixture f;
  auto t = f.start("triage", R"({"path":"."})");
  auto rid = std::string{f.last()["request_id"].GetString()};
  CHECK(f.ask<std::string>(t, stop_atom::value, std::string{"bored"}) ==
        "cancelled");
  auto err =
      f.ask<caf::error>(t, input_atom::value, rid, std::string{R"("fix")"});
  CHECK(code_of(err) == error_code::no_pending_input);
  f.advance(600s);
  auto types = f.types();
  CHECK(types.back() == "stopped");
  CHECK(terminal_events(types) == 1);
}

TEST_CASE("an exception inside a flow fails the task with internal", "[task]") {
  task_fixture f;
  flows::flow_kind k;
  k.name = "broken";
  k.run = [](flows::context& ctx) -> flows::flow {
    ctx.progress(1, 2, "about to break");
    co_await ctx.sleep(10ms);
    throw std::runtime_error("flow bug");
  };
  auto t = f.spawn_flow(k);
  f.advance(10ms);
  auto types = f.types();
  CHECK(types == std::vector<std::string>{"started", "progress", "error"});
  auto err = f.last();
  CHECK(std::string{err["code"].GetString()} == "internal");
  CHECK(std::string{err["message"].GetString()} == "flow bug");
  caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
}

TEST_CASE("an input request's context goes out as given, and a context "
          "that is not a JSON object fails the task",
          "[task][input]") {
  task_fixture f;
  flows::flow_kind k;
  k.name = "asker";
  k.run = [](flows::context& ctx) -> flows::flow {
    auto v = co_await ctx.ask("first?", R"({"type":"boolean"})", 10s,
                              R"({"index":1,"count":2})");
    co_await ctx.ask("second?", R"({"type":"boolean"})", 10s, "[1,2]");
    co_return v;
  };
  auto t = f.spawn_flow(k);
  auto req = f.last();
  REQUIRE(std::string{req["type"].GetString()} == "input_request");
  CHECK(req["context"]["index"].GetInt() == 1);
  CHECK(req["context"]["count"].GetInt() == 2);
  f.self()->send(t, input_atom::value,
                 std::string{req["request_id"].GetString()},
                 std::string{"true"});
  f.run();
  auto types = f.types();
  CHECK(types.back() == "error");
  auto err = f.last();
  CHECK(std::string{err["code"].GetString()} == "internal");
  CHECK(std::string{err["message"].GetString()} ==
        "bad input context: it must be a JSON object");
  caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
}

TEST_CASE("subscribe with after replays the rest, and evicted events expire",
          "[task][resume]") {
  task_limits limits;
  limits.max_log = 4;
  task_fixture f{registry_kind::real, limits};
  auto t = f.start("ticker", R"({"steps":6,"interval_ms":10})");
  for (int i = 0; i < 6; ++i)
    f.advance(10ms);
  // Seqs 1..8 were emitted; the log keeps 5..8.
  auto sub = f.ask<subscription>(t, subscribe_atom::value, f.sink(),
                                 uint64_t{5}, false);
  CHECK_FALSE(sub.expired);
  CHECK(sub.last_seq == 8);
  REQUIRE(sub.backlog.size() == 3);
  CHECK(test::parse(*sub.backlog[0].data)["seq"].GetInt() == 6);
  sub = f.ask<subscription>(t, subscribe_atom::value, f.sink(), uint64_t{2},
                            false);
  CHECK(sub.expired);
  CHECK(sub.backlog.size() == 4);
  CHECK(test::parse(sub.snapshot)["state"].GetString() ==
        std::string{"completed"});
}

TEST_CASE("the manager refuses unknown kinds, bad params and unknown ids",
          "[task_manager]") {
  task_fixture f;
  auto start_err = [&](const std::string& kind, const std::string& params) {
    f.self()->send(f.mgr, start_atom::value, kind, params, std::string{});
    f.run();
    return code_of(test::only<caf::error>(f.collect()));
  };
  CHECK(start_err("nope", "{}") == error_code::unknown_task_kind);
  CHECK(start_err("audit", R"({"path":"../"})") == error_code::invalid_params);
  CHECK(start_err("audit", R"({"path":"/etc"})") == error_code::invalid_params);
  CHECK(start_err("audit", R"({"path":"missing"})") ==
        error_code::invalid_params);
  CHECK(start_err("audit", R"({"path":"link_out"})") ==
        error_code::invalid_params);
  CHECK(start_err("audit", R"({"path":5})") == error_code::invalid_params);
  CHECK(start_err("ticker", R"({"steps":-1})") == error_code::invalid_params);
  CHECK(start_err("triage", R"({"min_severity":"urgent"})") ==
        error_code::invalid_params);
  f.self()->send(f.mgr, list_atom::value, std::string{},
                 protocol::task_filter{}, uint64_t{1000}, std::string{});
  f.run();
  CHECK(list_page(f.collect()).empty());
  f.self()->send(f.mgr, get_atom::value, std::string{"t-nope"}, std::string{});
  f.run();
  CHECK(code_of(test::only<caf::error>(f.collect())) ==
        error_code::unknown_task);
}

TEST_CASE("the manager lists tasks and forgets them after retention",
          "[task_manager]") {
  task_limits limits;
  limits.retention = 60s;
  task_fixture f{registry_kind::real, limits};
  auto t = f.start("ticker", R"({"steps":1,"interval_ms":10})");
  f.advance(10ms);
  f.self()->send(f.mgr, list_atom::value, std::string{},
                 protocol::task_filter{}, uint64_t{1000}, std::string{});
  f.run();
  auto tasks = list_page(f.collect());
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].task == "ticker");
  CHECK(tasks[0].state == "completed");
  CHECK(tasks[0].last_seq == 3);
  CHECK(tasks[0].task_id.rfind("t-", 0) == 0);
  CHECK(tasks[0].task_id.size() == 34);
  f.advance(59s);
  f.self()->send(f.mgr, get_atom::value, tasks[0].task_id, std::string{});
  f.run();
  CHECK(test::only<task_actor>(f.drain()) == t);
  f.advance(1s);
  f.self()->send(f.mgr, get_atom::value, tasks[0].task_id, std::string{});
  f.run();
  CHECK(code_of(test::only<caf::error>(f.collect())) ==
        error_code::unknown_task);
}

TEST_CASE("a running task that reports nothing goes stale", "[task][stale]") {
  task_limits limits;
  limits.stale_after = 5s;
  task_fixture f{registry_kind::real, limits};
  auto t = f.start("ticker", R"({"steps":3,"interval_ms":60000})");
  f.advance(4s);
  CHECK(f.state_of(t) == "running");
  // The manager sweeps every 1.25 s; the task is stale after 5 s.
  f.advance(2s);
  auto types = f.types();
  CHECK(types.back() == "error");
  CHECK(terminal_events(types) == 1);
  CHECK(std::string{f.last()["code"].GetString()} == "timeout");
  CHECK(f.state_of(t) == "failed");
}

TEST_CASE("a task waiting for input is not stale", "[task][stale]") {
  task_limits limits;
  limits.stale_after = 5s;
  task_fixture f{registry_kind::real, limits};
  auto t = f.start("triage", R"({"path":".","input_timeout_ms":60000})");
  f.advance(30s);
  CHECK(f.state_of(t) == "waiting_input");
  CHECK(f.types().back() == "input_request");
}

TEST_CASE("orphaned tasks are stopped when the policy is on",
          "[task][orphan]") {
  task_limits limits;
  limits.orphan_after = 10s;
  task_fixture f{registry_kind::real, limits};
  auto t = f.start("ticker", R"({"steps":1000,"interval_ms":1000})");
  // Watched: never orphaned.
  f.advance(20s);
  CHECK(f.state_of(t) == "running");
  f.self()->send(t, unsubscribe_atom::value, f.sink());
  f.run();
  f.advance(9s);
  CHECK(f.state_of(t) == "running");
  f.advance(3s);
  CHECK(f.state_of(t) == "cancelled");
  auto snap = test::parse(f.ask<std::string>(t, snapshot_atom::value));
  CHECK(std::string{snap["stopped"]["reason"].GetString()} == "orphaned");
}

TEST_CASE("drain waits for tasks, then stops the rest with shutdown",
          "[task_manager][drain]") {
  task_fixture f;
  auto quick = f.start("ticker", R"({"steps":2,"interval_ms":1000})");
  auto slow = f.start("ticker", R"({"steps":100,"interval_ms":1000})");
  f.self()->send(f.mgr, drain_atom::value, int64_t{5000});
  f.run();
  // New tasks are refused while draining.
  f.self()->send(f.mgr, start_atom::value, std::string{"ticker"},
                 std::string{"{}"}, std::string{});
  f.run();
  auto rs = f.collect();
  std::vector<error_code> codes;
  for (auto& r : rs)
    if (auto* e = std::get_if<caf::error>(&r))
      codes.push_back(code_of(*e));
  CHECK(codes == std::vector<error_code>{error_code::shutting_down});
  // Time moves in steps: each tick schedules the next from "now".
  f.advance(1s);
  f.advance(1s);
  CHECK(f.state_of(quick) == "completed");
  CHECK(f.state_of(slow) == "running");
  f.advance(1s);
  f.advance(1s);
  f.advance(1s);
  // The drain answers once the last task finished.
  bool answered = false;
  for (auto& r : f.collect())
    answered = answered || std::holds_alternative<ok_atom>(r);
  CHECK(answered);
  CHECK(f.state_of(slow) == "cancelled");
  auto snap = test::parse(f.ask<std::string>(slow, snapshot_atom::value));
  CHECK(std::string{snap["stopped"]["reason"].GetString()} == "shutdown");
}

TEST_CASE("tasks belong to their owner", "[task_manager][auth]") {
  task_fixture f;
  f.self()->send(f.mgr, start_atom::value, std::string{"ticker"},
                 std::string{"{}"}, std::string{"token-1"});
  f.run();
  auto started = test::only<std::pair<std::string, task_actor>>(f.collect());
  f.self()->send(f.mgr, get_atom::value, started.first, std::string{"token-2"});
  f.run();
  CHECK(code_of(test::only<caf::error>(f.collect())) == error_code::forbidden);
  f.self()->send(f.mgr, list_atom::value, std::string{"token-2"},
                 protocol::task_filter{}, uint64_t{1000}, std::string{});
  f.run();
  CHECK(list_page(f.collect()).empty());
  f.self()->send(f.mgr, list_atom::value, std::string{"token-1"},
                 protocol::task_filter{}, uint64_t{1000}, std::string{});
  f.run();
  CHECK(list_page(f.collect()).size() == 1);
}

TEST_CASE("the manager refuses tasks beyond max_running",
          "[task_manager][limits]") {
  task_fixture f;
  f.self()->send(f.mgr, start_atom::value, std::string{"ticker"},
                 std::string{R"({"steps":5,"interval_ms":1000})"},
                 std::string{});
  f.run();
  f.collect();
  // The fixture's default is 10000; a dedicated manager with a limit of 1:
  task_manager_setup ms;
  ms.registry = f.reg;
  ms.workspace = f.ws;
  ms.max_running = 1;
  auto mgr = f.sys().spawn(task_manager, std::move(ms));
  f.self()->send(mgr, start_atom::value, std::string{"ticker"},
                 std::string{R"({"steps":1,"interval_ms":1000})"},
                 std::string{});
  f.self()->send(mgr, start_atom::value, std::string{"ticker"},
                 std::string{"{}"}, std::string{});
  f.run();
  std::vector<error_code> codes;
  for (auto& r : f.collect())
    if (auto* e = std::get_if<caf::error>(&r))
      codes.push_back(code_of(*e));
  CHECK(codes == std::vector<error_code>{error_code::overloaded});
  // Once the first finishes, there is room again.
  f.advance(1s);
  f.self()->send(mgr, start_atom::value, std::string{"ticker"},
                 std::string{"{}"}, std::string{});
  f.run();
  CHECK(test::only<std::pair<std::string, task_actor>>(f.collect())
            .first.rfind("t-", 0) == 0);
  caf::anon_send_exit(mgr, caf::exit_reason::user_shutdown);
}

TEST_CASE("stopping a task cancels its tool call at the registry",
          "[task][cancel]") {
  task_limits limits;
  limits.tool_timeout = 5s;
  task_fixture f{registry_kind::silent, limits};
  auto t = f.start("audit", R"({"path":"."})");
  CHECK(f.types().back() == "tool_call");
  CHECK(silent_cancels.empty());
  CHECK(f.ask<std::string>(t, stop_atom::value, std::string{}) == "cancelled");
  REQUIRE(silent_cancels.size() == 1);
  CHECK(silent_cancels[0].second == "c1");
  CHECK_FALSE(silent_cancels[0].first.empty());
  // The request's own timeout later does not cancel again.
  f.advance(10s);
  CHECK(silent_cancels.size() == 1);
}

TEST_CASE("a tool call that times out is cancelled at the registry",
          "[task][cancel]") {
  task_limits limits;
  limits.tool_timeout = 5s;
  task_fixture f{registry_kind::silent, limits};
  auto t = f.start("audit", R"({"path":"."})");
  f.advance(4s);
  CHECK(silent_cancels.empty());
  f.advance(1s);
  REQUIRE(silent_cancels.size() == 1);
  CHECK(silent_cancels[0].second == "c1");
  CHECK(f.state_of(t) == "failed");
}

TEST_CASE("audit completes on hostile names and reports what it skipped",
          "[task][audit][names]") {
  task_fixture f;
  {
    std::ofstream out{f.tree.root() / "\xff\xfe.txt"};
    out << "key = AKIAIOSFODNN7EXAMPLE\n";
  }
  REQUIRE(::mkfifo((f.tree.root() / "pipe").c_str(), 0644) == 0);
  auto t = f.start("audit", R"({"path":".","large_file_bytes":1024})");
  auto types = f.types();
  REQUIRE(types.back() == "result");
  auto res = f.last();
  auto& data = res["data"];
  CHECK(data["files_scanned"].GetInt() == 7);
  bool found = false;
  for (auto& x : data["findings"].GetArray())
    found |= std::string{x["path"].GetString()} == "\\xff\\xfe.txt";
  CHECK(found);
  std::map<std::string, std::string> skipped;
  for (auto& x : data["skipped"].GetArray())
    skipped[x["path"].GetString()] = x["reason"].GetString();
  CHECK(skipped["pipe"] == "not a regular file");
  CHECK(skipped["link_out"] == "symlink, not followed");
  CHECK(skipped["data/big.bin"] == "larger than large_file_bytes");
  CHECK(f.state_of(t) == "completed");
}

// -- credit: a subscription is a cursor that advances as the sink grants ----

namespace {

// Counts the events in `rs` and checks their seqs continue `next` without a
// gap or a repeat; returns how many there were.
size_t take_events(const std::vector<test::received>& rs, uint64_t& next) {
  size_t n = 0;
  for (auto& r : rs)
    if (auto* e = std::get_if<test::received_event>(&r)) {
      CHECK(e->seq == next);
      next = e->seq + 1;
      ++n;
    }
  return n;
}

} // namespace

TEST_CASE("a subscriber receives one window, then as much as it grants",
          "[task][credit]") {
  task_limits limits;
  limits.max_log = 100000;
  task_fixture f{registry_kind::real, limits};
  f.self()->send(f.mgr, start_atom::value, std::string{"ticker"},
                 std::string{R"({"steps":2000,"interval_ms":0})"},
                 std::string{});
  f.run();
  auto started = test::only<std::pair<std::string, task_actor>>(f.drain());
  auto t = started.second;
  // The ticker has run to its end (virtual time, interval 0).
  auto sub = f.ask<subscription>(t, subscribe_atom::value, f.sink(),
                                 uint64_t{0}, false);
  CHECK(sub.backlog.size() == event_window);
  CHECK(sub.last_seq == event_window);
  CHECK_FALSE(sub.ended);
  uint64_t next = event_window + 1;
  f.run();
  // Without credit nothing more comes, however much the log holds.
  CHECK(take_events(f.drain(), next) == 0);
  f.self()->send(t, credit_atom::value, f.sink(), uint64_t{100});
  f.run();
  CHECK(take_events(f.drain(), next) == 100);
  // Credit is capped at two windows; the rest follows grant by grant.
  while (next <= 2002) {
    f.self()->send(t, credit_atom::value, f.sink(), uint64_t{10000});
    f.run();
    auto got = take_events(f.drain(), next);
    REQUIRE(got > 0);
    CHECK(got <= 2 * event_window);
  }
  CHECK(next == 2003);
}

TEST_CASE("a subscriber that falls behind the log gets a gap, then the rest",
          "[task][credit]") {
  task_limits limits;
  limits.max_log = 300;
  task_fixture f{registry_kind::real, limits};
  f.self()->send(f.mgr, start_atom::value, std::string{"ticker"},
                 std::string{R"({"steps":100000,"interval_ms":1})"},
                 std::string{});
  f.run();
  auto t = test::only<std::pair<std::string, task_actor>>(f.drain()).second;
  auto sub = f.ask<subscription>(t, subscribe_atom::value, f.sink(),
                                 uint64_t{0}, false);
  uint64_t next = sub.last_seq + 1;
  // Live events while credit lasts, then the sink stops granting.
  for (int i = 0; i < 1000; ++i)
    f.advance(1ms);
  take_events(f.drain(), next);
  CHECK(next == event_window + 1);
  // Far behind now: the next grant starts with a gap notice and the oldest
  // retained event.
  f.self()->send(t, credit_atom::value, f.sink(), uint64_t{event_window});
  f.run();
  auto rs = f.drain();
  REQUIRE_FALSE(rs.empty());
  auto* gap = std::get_if<test::received_gap>(&rs.front());
  REQUIRE(gap != nullptr);
  CHECK(gap->after == event_window);
  CHECK(test::parse(gap->snapshot)["state"].GetString() ==
        std::string{"running"});
  auto* first = std::get_if<test::received_event>(&rs[1]);
  REQUIRE(first != nullptr);
  next = first->seq;
  CHECK(next > event_window + 1);
  CHECK(take_events(rs, next) == event_window);
  f.self()->send(t, stop_atom::value, std::string{});
  f.run();
}

TEST_CASE("a subscriber behind at the end still reads to the terminal event",
          "[task][credit]") {
  task_fixture f;
  f.self()->send(f.mgr, start_atom::value, std::string{"ticker"},
                 std::string{R"({"steps":1000,"interval_ms":0})"},
                 std::string{});
  f.run();
  auto t = test::only<std::pair<std::string, task_actor>>(f.drain()).second;
  auto sub = f.ask<subscription>(t, subscribe_atom::value, f.sink(),
                                 uint64_t{0}, false);
  CHECK_FALSE(sub.ended);
  uint64_t next = sub.last_seq + 1;
  bool terminal = false;
  for (int i = 0; i < 10 && !terminal; ++i) {
    f.self()->send(t, credit_atom::value, f.sink(), uint64_t{event_window});
    f.run();
    for (auto& r : f.drain())
      if (auto* e = std::get_if<test::received_event>(&r)) {
        CHECK(e->seq == next);
        next = e->seq + 1;
        terminal = e->terminal;
      }
  }
  CHECK(terminal);
  CHECK(next == 1003);
  // A subscribe after the end: everything in one reply, and it says so.
  auto late = f.ask<subscription>(t, subscribe_atom::value, f.sink(),
                                  uint64_t{990}, false);
  CHECK(late.ended);
  CHECK(late.backlog.size() == 12);
}

// -- coalescing: a subscriber behind gets the latest of each progress run ---

namespace {

// Reads a coalescing subscription to its end, granting a window at a time;
// checks seqs only increase and returns the events in order.
std::vector<test::received_event>
read_to_end(task_fixture& f, const task_actor& t, const subscription& sub) {
  std::vector<test::received_event> out;
  for (auto& ev : sub.backlog)
    out.push_back(test::received_event{{}, ev.seq, *ev.data, false});
  bool terminal = sub.ended;
  for (int i = 0; i < 100 && !terminal; ++i) {
    f.self()->send(t, credit_atom::value, f.sink(), uint64_t{event_window});
    f.run();
    for (auto& r : f.drain())
      if (auto* e = std::get_if<test::received_event>(&r)) {
        CHECK((out.empty() || e->seq > out.back().seq));
        terminal = e->terminal;
        out.push_back(*e);
      }
  }
  CHECK(terminal);
  return out;
}

} // namespace

TEST_CASE("a coalescing subscriber behind the log gets each progress run's "
          "latest event, with the count it replaces",
          "[task][coalesce]") {
  task_fixture f;
  f.self()->send(f.mgr, start_atom::value, std::string{"ticker"},
                 std::string{R"({"steps":2000,"interval_ms":0})"},
                 std::string{});
  f.run();
  auto t = test::only<std::pair<std::string, task_actor>>(f.drain()).second;
  auto sub = f.ask<subscription>(t, subscribe_atom::value, f.sink(),
                                 uint64_t{0}, true);
  auto evs = read_to_end(f, t, sub);
  uint64_t progress = 0;
  uint64_t skipped = 0;
  std::vector<std::string> others;
  for (auto& e : evs) {
    auto doc = test::parse(e.json);
    std::string type = doc["type"].GetString();
    if (type == "progress") {
      ++progress;
      if (doc.HasMember("skipped"))
        skipped += doc["skipped"].GetUint64();
    } else {
      others.push_back(type);
    }
  }
  // Every non-progress event once; the progress events all accounted for.
  CHECK(others == std::vector<std::string>{"started", "result"});
  CHECK(progress + skipped == 2000);
  CHECK(progress < 20);
  // The latest progress event is never skipped.
  auto last_progress = test::parse(evs[evs.size() - 2].json);
  CHECK(last_progress["step"].GetInt() == 2000);
}

TEST_CASE("a coalescing subscriber that keeps up sees every event",
          "[task][coalesce]") {
  task_fixture f;
  f.self()->send(f.mgr, start_atom::value, std::string{"ticker"},
                 std::string{R"({"steps":300,"interval_ms":1})"},
                 std::string{});
  f.run();
  auto t = test::only<std::pair<std::string, task_actor>>(f.drain()).second;
  auto sub = f.ask<subscription>(t, subscribe_atom::value, f.sink(),
                                 uint64_t{0}, true);
  uint64_t next = sub.last_seq + 1;
  bool terminal = false;
  for (int i = 0; i < 400 && !terminal; ++i) {
    f.advance(1ms);
    for (auto& r : f.drain())
      if (auto* e = std::get_if<test::received_event>(&r)) {
        CHECK(e->seq == next);
        CHECK_FALSE(test::parse(e->json).HasMember("skipped"));
        next = e->seq + 1;
        terminal = e->terminal;
        f.self()->send(t, credit_atom::value, f.sink(), uint64_t{1});
      }
  }
  CHECK(terminal);
  CHECK(next == 303);
}

TEST_CASE("a start with a first subscriber is answered by the task, its "
          "started event in the backlog and every later event after it",
          "[task][manager]") {
  task_fixture f;
  f.self()->send(f.mgr, start_atom::value, std::string{"ticker"},
                 std::string{R"({"steps":5,"interval_ms":1})"}, std::string{},
                 f.sink(), false);
  f.run();
  auto rs = f.drain();
  REQUIRE_FALSE(rs.empty());
  auto* sub = std::get_if<subscription>(&rs.front());
  REQUIRE(sub != nullptr);
  CHECK(sub->task_id.rfind("t-", 0) == 0);
  CHECK(sub->task != nullptr);
  REQUIRE_FALSE(sub->backlog.empty());
  CHECK(test::parse(*sub->backlog.front().data)["type"].GetString() ==
        std::string{"started"});
  uint64_t next = sub->last_seq + 1;
  bool terminal = false;
  for (int i = 0; i < 20 && !terminal; ++i) {
    f.advance(1ms);
    for (auto& r : f.drain())
      if (auto* e = std::get_if<test::received_event>(&r)) {
        CHECK(e->seq == next);
        CHECK(e->task_id == sub->task_id);
        next = e->seq + 1;
        terminal = e->terminal;
      }
  }
  CHECK(terminal);
  CHECK(next == 8);
  // A refused start is answered by the manager.
  f.self()->send(f.mgr, start_atom::value, std::string{"nope"},
                 std::string{"{}"}, std::string{}, f.sink(), false);
  f.run();
  auto err = test::only<caf::error>(f.drain());
  CHECK(describe(err).code == protocol::error_code::unknown_task_kind);
}
