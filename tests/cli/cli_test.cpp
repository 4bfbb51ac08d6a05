// switchboard-cli end to end: the real server on port 0, the CLI binary as
// a subprocess, its stdout parsed line by line and its exit codes checked.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "tests/cli/cli_fixture.hpp"

using namespace switchboard;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

using test::cli_fixture;

rapidjson::Document parse_line(const std::string& line) {
  return test::parse_json_line(line);
}

std::string type_of(const rapidjson::Document& d) {
  return d["type"].GetString();
}

// Checks that the `--json` lines are objects whose events of `task_id` run
// seq first, first+1, ... without a gap, ending with `terminal`; returns
// the event types in order.
std::vector<std::string> check_events(const std::vector<std::string>& lines,
                                      const std::string& task_id, int64_t first,
                                      const std::string& terminal) {
  std::vector<std::string> types;
  int64_t next = first;
  for (auto& line : lines) {
    auto d = parse_line(line);
    if (d.HasMember("reply_to") || !d.HasMember("seq"))
      continue;
    REQUIRE(std::string{d["task_id"].GetString()} == task_id);
    REQUIRE(d["seq"].GetInt64() == next);
    ++next;
    types.push_back(type_of(d));
  }
  REQUIRE_FALSE(types.empty());
  CHECK(types.back() == terminal);
  return types;
}

// A port nothing listens on: bound once, then released.
uint16_t closed_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a{
      ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  auto port = a.local_endpoint().port();
  a.close();
  return port;
}

} // namespace

TEST_CASE("kinds and tools list what the server offers", "[cli]") {
  cli_fixture f;
  auto kinds = f.run({"kinds"});
  REQUIRE(kinds.exit_code == 0);
  CHECK_THAT(kinds.out, Contains("ticker: "));
  CHECK_THAT(kinds.out, Contains("min_severity (low|medium|high)"));
  CHECK(kinds.err.empty());

  auto json = f.run({"--json", "kinds"});
  REQUIRE(json.exit_code == 0);
  REQUIRE(json.lines().size() == 1);
  auto doc = parse_line(json.lines()[0]);
  CHECK(type_of(doc) == "kinds");
  CHECK(doc["kinds"].Size() == 3);

  // Global options may follow the subcommand.
  auto after = f.run({"kinds", "--json"});
  REQUIRE(after.exit_code == 0);
  CHECK(after.out == json.out);

  auto tools = f.run({"tools"});
  REQUIRE(tools.exit_code == 0);
  CHECK_THAT(tools.out, Contains("fs.hash: "));
  auto tools_json = f.run({"--json", "tools"});
  REQUIRE(tools_json.exit_code == 0);
  CHECK(type_of(parse_line(tools_json.lines().at(0))) == "tools");
}

TEST_CASE("start ticker watches to completion, --json gives one object a line",
          "[cli]") {
  cli_fixture f;
  auto r = f.run({"--json", "start", "ticker", "steps=5", "interval_ms=5"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  auto lines = r.lines();
  REQUIRE(lines.size() == 1 + 7);
  auto reply = parse_line(lines[0]);
  REQUIRE(type_of(reply) == "start_success");
  std::string id = reply["task_id"].GetString();
  auto types = check_events(lines, id, 1, "result");
  CHECK(types.front() == "started");
  CHECK(std::count(types.begin(), types.end(), "progress") == 5);

  auto human = f.run({"start", "ticker", "steps=2", "interval_ms=0"});
  REQUIRE(human.exit_code == 0);
  CHECK_THAT(human.out, Contains("#2 progress 1/2"));
  CHECK_THAT(human.out, Contains("completed {\"steps\":2}"));
  CHECK(human.out.find("\x1b[") == std::string::npos);

  // --params is the other way to give them.
  auto params = f.run({"--json", "start", "ticker", "--params",
                       R"({"steps":1,"interval_ms":0})"});
  REQUIRE(params.exit_code == 0);
  CHECK(params.lines().size() == 1 + 3);
}

TEST_CASE("start --detach, then watch, watch --after and events", "[cli]") {
  cli_fixture f;
  auto id = f.detach({"ticker", "steps=3", "interval_ms=20"});
  auto watch = f.run({"--json", "watch", id});
  REQUIRE(watch.exit_code == 0);
  REQUIRE(type_of(parse_line(watch.lines().at(0))) == "subscribe_success");
  check_events(watch.lines(), id, 1, "result");

  auto after = f.run({"--json", "watch", id, "--after", "2"});
  REQUIRE(after.exit_code == 0);
  check_events(after.lines(), id, 3, "result");

  // Past the end of a finished task there is nothing to wait for.
  auto past = f.run({"--json", "watch", id, "--after", "5"});
  REQUIRE(past.exit_code == 0);
  CHECK(past.lines().size() == 1);

  auto events = f.run({"--json", "events", id});
  REQUIRE(events.exit_code == 0);
  CHECK(events.lines().size() == 5);
  check_events(events.lines(), id, 1, "result");

  auto tasks = f.run({"--json", "tasks", "--kind", "ticker", "--limit", "5"});
  REQUIRE(tasks.exit_code == 0);
  auto list = parse_line(tasks.lines().at(0));
  REQUIRE(type_of(list) == "tasks");
  CHECK(list["tasks"].Size() == 1);
  auto human = f.run({"tasks", "--state", "completed"});
  REQUIRE(human.exit_code == 0);
  CHECK_THAT(human.out, Contains(id + "  ticker  completed"));
}

TEST_CASE("stop ends a watched task: stop exits 0, the watch 3", "[cli]") {
  cli_fixture f;
  auto id = f.detach({"ticker", "steps=10000", "interval_ms=20"});
  auto watch = f.spawn({"--json", "watch", id});
  auto first = watch->read_line(10s);
  REQUIRE(first);
  REQUIRE(type_of(parse_line(*first)) == "subscribe_success");

  auto stop = f.run({"stop", id, "--reason", "enough"});
  REQUIRE(stop.exit_code == 0);
  CHECK(stop.out == id + " cancelled\n");

  auto end = watch->wait(10s);
  REQUIRE(end.exit_code == 3);
  auto lines = end.lines();
  REQUIRE_FALSE(lines.empty());
  auto last = parse_line(lines.back());
  CHECK(type_of(last) == "stopped");
  CHECK(std::string{last["reason"].GetString()} == "enough");

  // A start that watches exits 3 as well.
  auto start = f.spawn({"--json", "start", "ticker", "steps=10000"});
  auto reply = start->read_line(10s);
  REQUIRE(reply);
  auto started = parse_line(*reply);
  REQUIRE(type_of(started) == "start_success");
  REQUIRE(f.run({"stop", started["task_id"].GetString()}).exit_code == 0);
  CHECK(start->wait(10s).exit_code == 3);

  // Watching it again ends at once with the same code.
  CHECK(f.run({"watch", id}).exit_code == 3);
  // Answering a task that asks nothing is refused.
  auto answer = f.run({"answer", id, "fix"});
  CHECK(answer.exit_code == 5);
  CHECK_THAT(answer.err, Contains("not waiting for input"));
}

TEST_CASE("a triage is answered with answer while watch follows it", "[cli]") {
  cli_fixture f;
  auto id = f.detach(
      {"triage", "min_severity=high", "large_file_bytes=1024", "path=."});
  auto watch = f.spawn({"--json", "watch", id});
  int asked = 0;
  for (;;) {
    auto line = watch->read_line(20s);
    REQUIRE(line);
    auto d = parse_line(*line);
    if (type_of(d) == "result")
      break;
    if (type_of(d) != "input_request")
      continue;
    ++asked;
    std::string request_id = d["request_id"].GetString();
    if (asked == 1) {
      auto bad = f.run({"answer", id, "maybe"});
      CHECK(bad.exit_code == 5);
      CHECK_THAT(bad.err, Contains("invalid_input"));
    }
    // The first answer names no request (the pending one is looked up),
    // the second names it and gives the value as JSON.
    auto r = asked == 1
                 ? f.run({"answer", id, "fix"})
                 : f.run({"--json", "answer", id, request_id, R"("accept")"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    if (asked == 2)
      CHECK(type_of(parse_line(r.lines().at(0))) == "input_success");
  }
  CHECK(asked == 2);
  auto end = watch->wait(10s);
  CHECK(end.exit_code == 0);

  auto events = f.run({"--json", "events", id});
  auto last = parse_line(events.lines().back());
  REQUIRE(type_of(last) == "result");
  CHECK(last["data"]["counts"]["fix"].GetInt() == 1);
  CHECK(last["data"]["counts"]["accept"].GetInt() == 1);

  // A value the request's schema refuses, to a request no longer pending.
  auto late = f.run({"answer", id, "r-1", "fix"});
  CHECK(late.exit_code == 5);
  CHECK_THAT(late.err, Contains("no_pending_input"));
}

TEST_CASE("call runs a tool", "[cli]") {
  cli_fixture f;
  auto r = f.run({"--json", "call", "fs.hash", "path=config/app.env"});
  REQUIRE(r.exit_code == 0);
  auto d = parse_line(r.lines().at(0));
  REQUIRE(type_of(d) == "tool_result");
  CHECK(std::string{d["result"]["sha256"].GetString()}.size() == 64);

  auto human = f.run({"call", "fs.list", "recursive=true", "path=src"});
  REQUIRE(human.exit_code == 0);
  CHECK_THAT(human.out, Contains("src/main.py"));

  auto unknown = f.run({"call", "fs.nope", "path=x"});
  CHECK(unknown.exit_code == 5);
  CHECK_THAT(unknown.err, Contains("unknown_tool"));
  auto outside = f.run({"call", "fs.hash", "--args", R"({"path":"../x"})"});
  CHECK(outside.exit_code == 5);
  CHECK_THAT(outside.err, Contains("invalid_args"));
}

TEST_CASE("bad parameters, unknown kinds and tasks are refused", "[cli]") {
  cli_fixture f;
  auto steps = f.run({"start", "ticker", "steps=lots"});
  CHECK(steps.exit_code == 2);
  CHECK_THAT(steps.err, Contains("steps"));
  CHECK_THAT(steps.err, Contains("an integer from 0 to 1000000"));
  CHECK(steps.out.empty());

  auto severity = f.run({"start", "triage", "min_severity=urgent"});
  CHECK(severity.exit_code == 2);
  CHECK_THAT(severity.err, Contains("min_severity"));
  CHECK_THAT(severity.err, Contains("one of low, medium, high"));

  auto name = f.run({"start", "ticker", "stepz=3"});
  CHECK(name.exit_code == 2);
  CHECK_THAT(name.err, Contains("no parameter stepz"));

  // The server's own check: a path outside the workspace.
  auto path = f.run({"--json", "start", "audit", "path=../.."});
  CHECK(path.exit_code == 5);
  CHECK_THAT(path.err, Contains("invalid_params"));
  REQUIRE(path.lines().size() == 1);
  CHECK(type_of(parse_line(path.lines()[0])) == "error");

  auto kind = f.run({"start", "nope"});
  CHECK(kind.exit_code == 5);
  CHECK_THAT(kind.err, Contains("unknown_task_kind"));
  auto kind_kv = f.run({"start", "nope", "a=1"});
  CHECK(kind_kv.exit_code == 5);
  CHECK_THAT(kind_kv.err, Contains("switchboard-cli kinds"));

  auto task = f.run({"watch", "t-0000"});
  CHECK(task.exit_code == 5);
  CHECK_THAT(task.err, Contains("unknown_task"));
  CHECK(f.run({"events", "t-0000"}).exit_code == 5);
  auto odd = f.run({"answer", "t-0 /../x?y", "fix"});
  CHECK(odd.exit_code == 5);
  CHECK_THAT(odd.err, Contains("unknown_task"));
  CHECK(f.run({"stop", "t-0000"}).exit_code == 5);

  // Usage errors.
  CHECK(f.run({}).exit_code == 2);
  CHECK(f.run({"start"}).exit_code == 2);
  CHECK(f.run({"tasks", "--limit", "0"}).exit_code == 2);
  auto answer = f.run({"answer", "t-1"});
  CHECK(answer.exit_code == 2);
  CHECK_THAT(answer.err, Contains("see 'switchboard-cli answer --help'"));
  auto both = f.run({"start", "ticker", "steps=1", "--params", "{}"});
  CHECK(both.exit_code == 2);
  CHECK_THAT(both.err, Contains("not both"));
}

TEST_CASE("an unreachable server exits 4", "[cli]") {
  auto url = "http://127.0.0.1:" + std::to_string(closed_port());
  auto r = test::run_cli({"--server", url, "kinds"});
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Contains("cannot reach the server at " + url));
  CHECK(r.out.empty());
  // So does one named by SWITCHBOARD_URL.
  auto env = test::run_cli({"tools"}, {{"SWITCHBOARD_URL", url}});
  CHECK(env.exit_code == 4);
  CHECK_THAT(env.err, Contains(url));
  CHECK(test::run_cli({"--server", "https://x", "kinds"}).exit_code == 2);
}

TEST_CASE("a server with tokens refuses the CLI without one", "[cli]") {
  cli_fixture f{{"--tokens=sesame"}};
  auto without = f.run({"kinds"});
  CHECK(without.exit_code == 5);
  CHECK_THAT(without.err, Contains("--token"));
  auto wrong = f.run({"--token", "nope", "kinds"});
  CHECK(wrong.exit_code == 5);
  CHECK(f.run({"--token", "sesame", "kinds"}).exit_code == 0);
  CHECK(f.run({"kinds"}, {{"SWITCHBOARD_TOKEN", "sesame"}}).exit_code == 0);

  // The token reaches the HTTP requests too (answer looks up the request).
  auto started = f.run({"--token", "sesame", "start", "--detach", "ticker",
                        "steps=1", "interval_ms=0"});
  REQUIRE(started.exit_code == 0);
  auto id = started.lines().at(0);
  auto answer = f.run({"--token", "sesame", "answer", id, "fix"});
  CHECK(answer.exit_code == 5);
  CHECK_THAT(answer.err, Contains("not waiting for input"));
  auto answer_without = f.run({"answer", id, "fix"});
  CHECK(answer_without.exit_code == 5);
  CHECK_THAT(answer_without.err, Contains("unauthorized"));
}

TEST_CASE("colours only on a terminal, never with --no-color or NO_COLOR",
          "[cli]") {
  cli_fixture f;
  std::vector<std::string> args{"--server", f.url(),   "start",
                                "ticker",   "steps=1", "interval_ms=0"};
  auto tty = test::run_cli_on_tty(args);
  REQUIRE(tty.exit_code == 0);
  CHECK_THAT(tty.out, Contains("\x1b[32m#3 completed"));
  auto env = test::run_cli_on_tty(args, {{"NO_COLOR", "1"}});
  REQUIRE(env.exit_code == 0);
  CHECK_THAT(env.out, Contains("#3 completed"));
  CHECK(env.out.find('\x1b') == std::string::npos);
  args.insert(args.begin(), "--no-color");
  auto flag = test::run_cli_on_tty(args);
  REQUIRE(flag.exit_code == 0);
  CHECK(flag.out.find('\x1b') == std::string::npos);
  // Not a terminal: no colour either (the other tests read pipes).
}

TEST_CASE("a draining server is followed to the task's end", "[cli]") {
  cli_fixture f{{"--grace-ms=300"}};
  auto id = f.detach({"ticker", "steps=10000", "interval_ms=20"});
  auto watch = f.spawn({"--json", "watch", id});
  REQUIRE(watch->read_line(10s));
  f.server.signal(SIGTERM);
  auto end = watch->wait(20s);
  INFO(end.out << end.err);
  CHECK(end.exit_code == 3);
  auto lines = end.lines();
  REQUIRE(lines.size() >= 2);
  CHECK(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
    return type_of(parse_line(l)) == "shutdown";
  }));
  auto last = parse_line(lines.back());
  CHECK(type_of(last) == "stopped");
  CHECK(std::string{last["reason"].GetString()} == "shutdown");
}

TEST_CASE("a lost server exits 4 and says how to resume", "[cli]") {
  cli_fixture f;
  auto id = f.detach({"ticker", "steps=10000", "interval_ms=20"});
  auto watch = f.spawn({"--reconnect-for", "1", "watch", id});
  REQUIRE(watch->read_line(10s));
  REQUIRE(watch->read_line(10s));
  f.server.kill();
  auto end = watch->wait(20s);
  CHECK(end.exit_code == 4);
  CHECK_THAT(end.err, Contains("reconnecting in 200 ms"));
  CHECK_THAT(end.err, Contains("gave up reconnecting after 1 s"));
  CHECK_THAT(end.err, Contains("resume with: switchboard-cli watch " + id +
                               " --after "));
}

TEST_CASE("a server that stops answering is given up after 3 heartbeats",
          "[cli]") {
  cli_fixture f{{"--heartbeat-ms=200"}};
  auto id = f.detach({"ticker", "steps=10000", "interval_ms=20"});
  // Without reconnecting: a stopped server would hold each attempt for
  // the 10 s upgrade timeout.
  auto watch = f.spawn({"--reconnect-for", "0", "watch", id});
  REQUIRE(watch->read_line(10s));
  f.server.signal(SIGSTOP);
  auto end = watch->wait(20s);
  f.server.signal(SIGCONT);
  CHECK(end.exit_code == 4);
  CHECK_THAT(end.err, Contains("no heartbeat for 1600 ms"));
  CHECK_THAT(end.err, Contains("resume with: switchboard-cli watch " + id));
}

TEST_CASE("version and help", "[cli]") {
  auto v = test::run_cli({"--version"});
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Contains("switchboard-cli "));
  auto h = test::run_cli({"--help"});
  CHECK(h.exit_code == 0);
  CHECK_THAT(h.out, Contains("watch"));
}
