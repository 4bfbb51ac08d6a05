// Flows end to end over a real WebSocket against the real server binary.
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <map>

#include "protocol/json.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/ws_client.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

struct flow_fixture {
  test::fixture_tree tree;
  test::server_process server;

  flow_fixture()
      : server(
            std::vector<std::string>{"--workspace=" + tree.root().string()}) {}

  std::unique_ptr<test::ws_client> connect() {
    auto c = std::make_unique<test::ws_client>();
    REQUIRE(c->connect(server.port()));
    REQUIRE(test::type_of(c->read_json()) == "hello");
    return c;
  }
};

using test::parse;
using test::str;

// Collects the events of one task from a connection until its terminal
// event, checking that seqs run without gaps or duplicates from `first`.
struct event_log {
  std::string task_id;
  uint64_t next_seq = 1;
  std::vector<std::string> types;
  std::vector<std::string> raw;
  std::deque<std::string> pending;

  bool is_event(const rapidjson::Document& d) const {
    return d.HasMember("task_id") && d.HasMember("seq") &&
           !d.HasMember("reply_to") && str(d, "task_id") == task_id;
  }

  // Takes the task's events out of `d`; returns true when it has `type`.
  bool take(const rapidjson::Document& d, const std::string& type) {
    if (!is_event(d))
      return false;
    REQUIRE(d["seq"].GetUint64() == next_seq);
    ++next_seq;
    types.push_back(str(d, "type"));
    raw.push_back(protocol::to_json(d));
    CHECK(d["ts"].IsInt64());
    return types.back() == type;
  }

  // Reads events until one of `type` arrived, including events that other
  // reads on `c` skipped; returns it.
  rapidjson::Document until(test::ws_client& c, const std::string& type,
                            std::chrono::milliseconds timeout = 10s) {
    for (;;) {
      for (auto& text : c.skipped())
        pending.push_back(text);
      c.clear_skipped();
      while (!pending.empty()) {
        rapidjson::Document d;
        protocol::parse_json(pending.front(), d);
        pending.pop_front();
        if (take(d, type))
          return d;
      }
      INFO("waiting for " << type << " after " << types.size() << " events");
      auto d = c.read_until([&](auto& m) { return is_event(m); }, timeout);
      if (take(d, type))
        return d;
    }
  }

  size_t count(const std::string& type) const {
    return static_cast<size_t>(std::count(types.begin(), types.end(), type));
  }
};

std::string start_msg(const std::string& id, const std::string& kind,
                      const std::string& params) {
  return R"({"type":"start","id":")" + id + R"(","task":")" + kind +
         R"(","params":)" + params + "}";
}

} // namespace

TEST_CASE("audit runs end to end and finds the planted secrets",
          "[flows][audit]") {
  flow_fixture f;
  auto c = f.connect();
  auto ok = c->request(
      start_msg("a", "audit", R"({"path":".","large_file_bytes":1024})"), "a");
  REQUIRE(test::type_of(ok) == "start_success");
  CHECK(str(ok, "task") == "audit");
  event_log log{str(ok, "task_id")};
  auto result = log.until(*c, "result");
  CHECK(log.types.front() == "started");
  CHECK(log.count("progress") >= 2);
  CHECK(log.count("tool_call") >= 2);
  CHECK(log.count("tool_call") == log.count("tool_result"));
  auto& data = result["data"];
  CHECK(data["files_scanned"].GetInt() == 6);
  CHECK(data["bytes_scanned"].GetInt() > 0);
  CHECK(data["counts"]["high"].GetInt() == 2);
  CHECK(data["counts"]["medium"].GetInt() == 3);
  CHECK(data["counts"]["low"].GetInt() == 1);
  std::map<std::string, std::string> rules;
  for (auto& fd : data["findings"].GetArray())
    rules[str(fd, "path") + ":" + std::to_string(fd["line"].GetInt())] =
        str(fd, "rule");
  CHECK(rules["config/app.env:2"] == "aws_access_key");
  CHECK(rules["config/app.env:3"] == "generic_secret");
  CHECK(rules["keys/deploy.pem:1"] == "private_key");
  CHECK(rules["src/main.py:4"] == "generic_secret");
  CHECK(rules["shared/notes.txt:0"] == "world_writable");
  CHECK(rules["data/big.bin:0"] == "large_file");
  // Progress counts files and never goes backwards.
  int64_t last_step = -1;
  for (auto& r : log.raw) {
    rapidjson::Document d;
    protocol::parse_json(r, d);
    if (str(d, "type") == "progress") {
      CHECK(d["step"].GetInt64() >= last_step);
      last_step = d["step"].GetInt64();
    }
    // A secret's full value never leaves the server.
    CHECK(r.find("AKIAIOSFODNN7EXAMPLE") == std::string::npos);
  }
  CHECK(last_step == 7);
  // The task is listed as completed with its last seq.
  auto tasks = c->request(R"({"type":"list_tasks","id":"l"})", "l");
  REQUIRE(tasks["tasks"].Size() == 1);
  CHECK(str(tasks["tasks"][0], "state") == "completed");
  CHECK(tasks["tasks"][0]["last_seq"].GetUint64() == log.next_seq - 1);
}

TEST_CASE("triage takes a wrong then a right answer", "[flows][triage]") {
  flow_fixture f;
  auto c = f.connect();
  auto ok = c->request(
      start_msg("t", "triage", R"({"path":".","min_severity":"high"})"), "t");
  REQUIRE(test::type_of(ok) == "start_success");
  auto task_id = str(ok, "task_id");
  event_log log{task_id};
  auto req = log.until(*c, "input_request");
  auto rid = str(req, "request_id");
  CHECK(req["schema"]["enum"].Size() == 3);
  CHECK(req["timeout_ms"].GetInt() == 300000);
  CHECK_FALSE(str(req, "prompt").empty());
  // The context says what the question is about: the finding, its excerpt
  // redacted, and its place among the questions (two high findings).
  REQUIRE(req.HasMember("context"));
  auto& about = req["context"];
  CHECK(about["index"].GetInt() == 1);
  CHECK(about["count"].GetInt() == 2);
  CHECK(str(about["finding"], "severity") == "high");
  CHECK_FALSE(str(about["finding"], "rule").empty());
  CHECK_FALSE(str(about["finding"], "path").empty());
  CHECK(about["finding"]["line"].IsInt());
  CHECK(str(about["finding"], "excerpt").find("*") != std::string::npos);
  // The snapshot's pending input carries it too, with the request's time.
  auto snap = test::request(f.server.port(), "GET", "/api/tasks/" + task_id);
  auto snap_doc = parse(snap.body);
  REQUIRE(snap_doc["pending_input"].IsObject());
  CHECK(snap_doc["pending_input"]["context"] == about);
  CHECK(snap_doc["pending_input"]["ts"].GetInt64() >=
        req["ts"].GetInt64() - 1000);
  auto input = [&](const std::string& id, const std::string& request_id,
                   const std::string& value) {
    return c->request(R"({"type":"input","id":")" + id + R"(","task_id":")" +
                          task_id + R"(","request_id":")" + request_id +
                          R"(","value":)" + value + "}",
                      id);
  };
  auto bad = input("i1", rid, R"("maybe")");
  CHECK(str(bad, "code") == "invalid_input");
  auto good = input("i2", rid, R"("fix")");
  CHECK(test::type_of(good) == "input_success");
  CHECK(str(good, "request_id") == rid);
  auto received = log.until(*c, "input_received");
  CHECK(str(received, "value") == "fix");
  auto req2 = log.until(*c, "input_request");
  auto rid2 = str(req2, "request_id");
  CHECK(rid2 != rid);
  CHECK(req2["context"]["index"].GetInt() == 2);
  CHECK(test::type_of(input("i3", rid2, R"("false_positive")")) ==
        "input_success");
  auto result = log.until(*c, "result");
  auto& data = result["data"];
  REQUIRE(data["decisions"].Size() == 2);
  CHECK(str(data["decisions"][0], "decision") == "fix");
  CHECK(str(data["decisions"][1], "decision") == "false_positive");
  CHECK(str(data["decisions"][0], "severity") == "high");
  CHECK(data["counts"]["fix"].GetInt() == 1);
  CHECK(data["counts"]["false_positive"].GetInt() == 1);
  CHECK(data["counts"]["accept"].GetInt() == 0);
  // Answering a finished request is refused.
  CHECK(str(input("i4", rid2, R"("fix")"), "code") == "no_pending_input");
}

TEST_CASE("stop replies stop_success, emits stopped, and is idempotent",
          "[flows][stop]") {
  flow_fixture f;
  auto c = f.connect();
  auto ok = c->request(
      start_msg("s", "ticker", R"({"steps":1000,"interval_ms":50})"), "s");
  auto task_id = str(ok, "task_id");
  event_log log{task_id};
  log.until(*c, "progress");
  auto stop = R"({"type":"stop","id":"x","task_id":")" + task_id +
              R"(","reason":"enough"})";
  auto reply = c->request(stop, "x");
  CHECK(test::type_of(reply) == "stop_success");
  CHECK(str(reply, "state") == "cancelled");
  auto stopped = log.until(*c, "stopped");
  CHECK(str(stopped, "reason") == "enough");
  auto again = c->request(stop, "x");
  CHECK(test::type_of(again) == "stop_success");
  CHECK(str(again, "state") == "cancelled");
  // Nothing follows the terminal event.
  CHECK_FALSE(c->read_text(300ms).has_value());
}

TEST_CASE("a second connection subscribes with after and misses nothing",
          "[flows][subscribe]") {
  flow_fixture f;
  auto a = f.connect();
  auto ok = a->request(
      start_msg("s", "ticker", R"({"steps":20,"interval_ms":20})"), "s");
  auto task_id = str(ok, "task_id");
  event_log la{task_id};
  la.until(*a, "progress");
  la.until(*a, "progress");
  auto b = f.connect();
  auto sub = b->request(R"({"type":"subscribe","id":"b","task_id":")" +
                            task_id + R"(","after":2})",
                        "b");
  REQUIRE(test::type_of(sub) == "subscribe_success");
  CHECK(str(sub, "task_id") == task_id);
  event_log lb{task_id, 3};
  la.until(*a, "result");
  lb.until(*b, "result");
  CHECK(la.next_seq == lb.next_seq);
  CHECK(lb.types.size() == la.types.size() - 2);
  // A late subscriber of the finished task gets the whole log, then nothing.
  auto late = f.connect();
  auto sub2 = late->request(
      R"({"type":"subscribe","id":"c","task_id":")" + task_id + R"("})", "c");
  CHECK(str(sub2, "state") == "completed");
  event_log ll{task_id};
  ll.until(*late, "result");
  CHECK(ll.types == la.types);
}

TEST_CASE("unsubscribe stops the events", "[flows][subscribe]") {
  flow_fixture f;
  auto c = f.connect();
  auto ok = c->request(
      start_msg("s", "ticker", R"({"steps":100,"interval_ms":20})"), "s");
  auto task_id = str(ok, "task_id");
  event_log log{task_id};
  log.until(*c, "progress");
  auto reply = c->request(
      R"({"type":"unsubscribe","id":"u","task_id":")" + task_id + R"("})", "u");
  CHECK(test::type_of(reply) == "unsubscribe_success");
  // Drain what was in flight, then silence.
  while (c->read_text(200ms))
    ;
  CHECK_FALSE(c->read_text(300ms).has_value());
  // The task runs on: disconnect or unsubscribe is not stop.
  auto tasks = c->request(R"({"type":"list_tasks","id":"l"})", "l");
  CHECK(str(tasks["tasks"][0], "state") == "running");
}
