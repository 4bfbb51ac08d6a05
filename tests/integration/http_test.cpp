// The HTTP API and SSE streams against the real server binary on port 0.
#include <catch2/catch.hpp>

#include <thread>

#include "protocol/json.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/sse_reader.hpp"
#include "tests/support/ws_client.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

struct http_fixture {
  test::fixture_tree tree;
  test::server_process server;

  explicit http_fixture(std::vector<std::string> extra = {})
      : server(with_workspace(tree, std::move(extra))) {}

  static std::vector<std::string>
  with_workspace(const test::fixture_tree& tree,
                 std::vector<std::string> extra) {
    extra.push_back("--workspace=" + tree.root().string());
    return extra;
  }

  test::http_reply get(const std::string& target) {
    return test::request(server.port(), "GET", target);
  }

  test::http_reply post(const std::string& target, const std::string& body,
                        const std::string& type = "application/json") {
    return test::request(server.port(), "POST", target, body,
                         {{"Content-Type", type}});
  }

  std::string start(const std::string& kind, const std::string& params) {
    auto r = post("/api/tasks",
                  R"({"task":")" + kind + R"(","params":)" + params + "}");
    REQUIRE(r.status == 201);
    auto doc = parse(r.body);
    std::string id = doc["task_id"].GetString();
    CHECK(std::string{doc["events"].GetString()} ==
          "/api/tasks/" + id + "/events");
    return id;
  }

  static rapidjson::Document parse(const std::string& text) {
    rapidjson::Document doc;
    auto st = protocol::parse_json(text, doc);
    REQUIRE(st.code == protocol::error_code::none);
    return doc;
  }
};

std::string code_of(const test::http_reply& r) {
  auto doc = http_fixture::parse(r.body);
  REQUIRE(doc.HasMember("code"));
  CHECK(std::string{doc["type"].GetString()} == "error");
  return doc["code"].GetString();
}

} // namespace

TEST_CASE("audit over HTTP and SSE end to end", "[http][sse]") {
  http_fixture f;
  auto id = f.start("audit", R"({"path":".","large_file_bytes":1024})");
  test::sse_reader sse;
  REQUIRE(sse.stream.open(f.server.port(), "/api/tasks/" + id + "/events") ==
          200);
  CHECK(sse.stream.header("content-type").rfind("text/event-stream", 0) == 0);
  auto events = sse.until("result");
  CHECK(sse.retry == "2000");
  REQUIRE(events.size() >= 5);
  for (size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].id == std::to_string(i + 1));
    auto doc = http_fixture::parse(events[i].data);
    CHECK(std::string{doc["type"].GetString()} == events[i].event);
    CHECK(doc["seq"].GetUint64() == i + 1);
  }
  CHECK(events.front().event == "started");
  auto result = http_fixture::parse(events.back().data);
  CHECK(result["data"]["counts"]["high"].GetInt() == 2);
  CHECK(result["data"]["counts"]["medium"].GetInt() == 3);
  // The stream closes after the terminal event.
  CHECK_FALSE(sse.next(3s).has_value());
  CHECK_FALSE(sse.stream.is_open());
  // The snapshot has the result.
  auto snap = f.get("/api/tasks/" + id);
  REQUIRE(snap.status == 200);
  auto doc = http_fixture::parse(snap.body);
  CHECK(std::string{doc["state"].GetString()} == "completed");
  CHECK(doc["result"]["counts"]["low"].GetInt() == 1);
  CHECK(doc["last_seq"].GetUint64() == events.size());
  CHECK(doc["params"]["large_file_bytes"].GetInt() == 1024);
}

TEST_CASE("triage answered over HTTP while watched over SSE",
          "[http][sse][triage]") {
  http_fixture f;
  auto id = f.start("triage", R"({"path":".","min_severity":"high"})");
  test::sse_reader sse;
  REQUIRE(sse.stream.open(f.server.port(), "/api/tasks/" + id + "/events") ==
          200);
  auto req = http_fixture::parse(sse.until("input_request").back().data);
  std::string rid = req["request_id"].GetString();
  auto snap = http_fixture::parse(f.get("/api/tasks/" + id).body);
  CHECK(std::string{snap["state"].GetString()} == "waiting_input");
  CHECK(std::string{snap["pending_input"]["request_id"].GetString()} == rid);
  auto input = [&](const std::string& request_id, const std::string& value) {
    return f.post("/api/tasks/" + id + "/input",
                  R"({"request_id":")" + request_id + R"(","value":)" + value +
                      "}");
  };
  auto bad = input(rid, R"("later")");
  CHECK(bad.status == 422);
  CHECK(code_of(bad) == "invalid_input");
  auto wrong_id = input("r-77", R"("fix")");
  CHECK(wrong_id.status == 409);
  CHECK(code_of(wrong_id) == "no_pending_input");
  auto ok = input(rid, R"("accept")");
  REQUIRE(ok.status == 200);
  CHECK(std::string{http_fixture::parse(ok.body)["type"].GetString()} ==
        "input_success");
  sse.until("input_received");
  auto req2 = http_fixture::parse(sse.until("input_request").back().data);
  REQUIRE(input(req2["request_id"].GetString(), R"("fix")").status == 200);
  auto result = http_fixture::parse(sse.until("result").back().data);
  CHECK(result["data"]["counts"]["accept"].GetInt() == 1);
  CHECK(result["data"]["counts"]["fix"].GetInt() == 1);
}

TEST_CASE("resume with Last-Event-ID loses and repeats nothing",
          "[http][sse][resume]") {
  http_fixture f;
  auto id = f.start("ticker", R"({"steps":40,"interval_ms":10})");
  std::vector<uint64_t> seen;
  std::string last_id;
  {
    test::sse_reader sse;
    REQUIRE(sse.stream.open(f.server.port(), "/api/tasks/" + id + "/events") ==
            200);
    for (int i = 0; i < 8; ++i) {
      auto ev = sse.next();
      REQUIRE(ev);
      seen.push_back(std::stoull(ev->id));
      last_id = ev->id;
    }
    sse.stream.close();
  }
  // Let the task move on while disconnected.
  CHECK(test::eventually([&] {
    auto snap = f.get("/api/tasks/" + id);
    return snap.status == 200 &&
           http_fixture::parse(snap.body)["last_seq"].GetUint64() >
               std::stoull(last_id) + 2;
  }));
  test::sse_reader sse;
  REQUIRE(sse.stream.open(f.server.port(), "/api/tasks/" + id + "/events",
                          {{"Last-Event-ID", last_id}}) == 200);
  for (auto& ev : sse.until("result"))
    seen.push_back(std::stoull(ev.id));
  REQUIRE(seen.size() == 42);
  for (size_t i = 0; i < seen.size(); ++i)
    CHECK(seen[i] == i + 1);
  // ?after= works the same way.
  test::sse_reader again;
  REQUIRE(again.stream.open(f.server.port(),
                            "/api/tasks/" + id + "/events?after=40") == 200);
  auto rest = again.until("result");
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].id == "41");
}

TEST_CASE("resume after expiry sends events_expired then the snapshot",
          "[http][sse][resume]") {
  http_fixture f{{"--max-log-events=5", "--history=memory"}};
  auto id = f.start("ticker", R"({"steps":10,"interval_ms":1})");
  for (int i = 0; i < 100; ++i) {
    auto snap = http_fixture::parse(f.get("/api/tasks/" + id).body);
    if (std::string{snap["state"].GetString()} == "completed")
      break;
    std::this_thread::sleep_for(20ms);
  }
  test::sse_reader sse;
  REQUIRE(sse.stream.open(f.server.port(),
                          "/api/tasks/" + id + "/events?after=2") == 200);
  auto err = sse.next();
  REQUIRE(err);
  CHECK(err->event == "error");
  CHECK(std::string{http_fixture::parse(err->data)["code"].GetString()} ==
        "events_expired");
  auto snap = sse.next();
  REQUIRE(snap);
  CHECK(snap->event == "snapshot");
  CHECK(std::string{http_fixture::parse(snap->data)["state"].GetString()} ==
        "completed");
  // Then the retained events (seqs 8..12) and the end of the stream.
  auto rest = sse.until("result");
  REQUIRE(rest.size() == 5);
  CHECK(rest.front().id == "8");
  CHECK_FALSE(sse.next(2s).has_value());
}

TEST_CASE("start on WebSocket, finish watching on SSE", "[http][sse][ws]") {
  http_fixture f;
  test::ws_client ws;
  REQUIRE(ws.connect(f.server.port()));
  ws.read_json();
  auto ok = ws.request(
      R"({"type":"start","id":"s","task":"ticker","params":{"steps":20,"interval_ms":10}})",
      "s");
  std::string id = ok["task_id"].GetString();
  uint64_t last = 0;
  for (int i = 0; i < 3; ++i) {
    auto ev = ws.read_type("progress");
    last = ev["seq"].GetUint64();
  }
  ws.close();
  test::sse_reader sse;
  REQUIRE(sse.stream.open(f.server.port(), "/api/tasks/" + id + "/events",
                          {{"Last-Event-ID", std::to_string(last)}}) == 200);
  auto rest = sse.until("result");
  CHECK(rest.front().id == std::to_string(last + 1));
  CHECK(std::stoull(rest.back().id) == 22);
  CHECK(rest.size() == 22 - last);
}

TEST_CASE("stop over HTTP, idempotent", "[http]") {
  http_fixture f;
  auto id = f.start("ticker", R"({"steps":1000,"interval_ms":100})");
  auto r = f.post("/api/tasks/" + id + "/stop", R"({"reason":"enough"})");
  REQUIRE(r.status == 200);
  auto doc = http_fixture::parse(r.body);
  CHECK(std::string{doc["type"].GetString()} == "stop_success");
  CHECK(std::string{doc["state"].GetString()} == "cancelled");
  // An empty body is fine too, and a stopped task stays stopped.
  r = test::request(f.server.port(), "POST", "/api/tasks/" + id + "/stop");
  REQUIRE(r.status == 200);
  CHECK(std::string{http_fixture::parse(r.body)["state"].GetString()} ==
        "cancelled");
  auto snap = http_fixture::parse(f.get("/api/tasks/" + id).body);
  CHECK(std::string{snap["stopped"]["reason"].GetString()} == "enough");
}

TEST_CASE("tools over HTTP", "[http][tools]") {
  http_fixture f;
  auto kinds = f.get("/api/kinds");
  REQUIRE(kinds.status == 200);
  CHECK(http_fixture::parse(kinds.body)["kinds"].Size() == 3);
  auto list = f.get("/api/tools");
  REQUIRE(list.status == 200);
  CHECK(http_fixture::parse(list.body)["tools"].Size() == 5);
  auto call = f.post("/api/tools/fs.hash/call",
                     R"({"call_id":"h1","args":{"path":"docs/readme.md"}})");
  REQUIRE(call.status == 200);
  auto doc = http_fixture::parse(call.body);
  CHECK(std::string{doc["call_id"].GetString()} == "h1");
  CHECK(std::string{doc["result"]["sha256"].GetString()}.size() == 64);
  auto unknown =
      f.post("/api/tools/no.such/call", R"({"call_id":"x","args":{}})");
  CHECK(unknown.status == 404);
  CHECK(code_of(unknown) == "unknown_tool");
  auto bad_args =
      f.post("/api/tools/fs.hash/call", R"({"call_id":"x","args":{"path":7}})");
  CHECK(bad_args.status == 422);
  CHECK(code_of(bad_args) == "invalid_args");
  auto outside =
      f.post("/api/tools/fs.read/call",
             R"({"call_id":"x","args":{"path":"../../etc/passwd"}})");
  CHECK(outside.status == 422);
  CHECK(code_of(outside) == "invalid_args");
}

TEST_CASE("bad HTTP requests get their own answers", "[http][errors]") {
  http_fixture f{{"--max-body-bytes=2048"}};
  auto big = f.post("/api/tasks", R"({"task":"ticker","pad":")" +
                                      std::string(4096, 'x') + "\"}");
  CHECK(big.status == 413);
  CHECK(code_of(big) == "too_large");
  auto type = f.post("/api/tasks", R"({"task":"ticker"})", "text/plain");
  CHECK(type.status == 415);
  CHECK(code_of(type) == "bad_message");
  auto junk = f.post("/api/tasks", "{nope");
  CHECK(junk.status == 400);
  CHECK(code_of(junk) == "bad_json");
  auto array = f.post("/api/tasks", "[]");
  CHECK(array.status == 400);
  CHECK(code_of(array) == "bad_message");
  auto no_task = f.post("/api/tasks", R"({"params":{}})");
  CHECK(no_task.status == 400);
  CHECK(code_of(no_task) == "bad_message");
  auto bad_params = f.post("/api/tasks", R"({"task":"ticker","params":3})");
  CHECK(bad_params.status == 422);
  CHECK(code_of(bad_params) == "invalid_params");
  auto outside =
      f.post("/api/tasks", R"({"task":"audit","params":{"path":"../.."}})");
  CHECK(outside.status == 422);
  CHECK(code_of(outside) == "invalid_params");
  auto kind = f.post("/api/tasks", R"({"task":"nope"})");
  CHECK(kind.status == 404);
  CHECK(code_of(kind) == "unknown_task_kind");
  for (auto target : {"/api/tasks/t-nope", "/api/tasks/t-nope/events"}) {
    auto r = f.get(target);
    CHECK(r.status == 404);
    CHECK(code_of(r) == "unknown_task");
  }
  auto stop = f.post("/api/tasks/t-nope/stop", "{}");
  CHECK(stop.status == 404);
  auto bad_seq = f.get("/api/tasks/t-nope/events?after=abc");
  CHECK(bad_seq.status == 400);
  auto method = test::request(f.server.port(), "DELETE", "/api/tasks");
  CHECK(method.status == 405);
  CHECK(method.header("allow") == "GET, POST");
  auto method2 = test::request(f.server.port(), "GET", "/api/tools/x/call");
  CHECK(method2.status == 405);
  CHECK(method2.header("allow") == "POST");
  auto nothing = f.get("/api/nothing");
  CHECK(nothing.status == 404);
  // Still serving after all of that.
  CHECK(f.get("/healthz").status == 200);
  CHECK(f.get("/readyz").status == 200);
}

TEST_CASE("keep-alive serves several requests on one connection", "[http]") {
  http_fixture f;
  test::http_client c;
  REQUIRE(c.connect(f.server.port()));
  for (int i = 0; i < 3; ++i) {
    auto r = c.request("GET", "/api/tools");
    CHECK(r.status == 200);
  }
  auto r = c.request("POST", "/api/tasks", R"({"task":"ticker"})",
                     {{"Content-Type", "application/json"}});
  CHECK(r.status == 201);
  CHECK(c.is_open());
}

TEST_CASE("finished tasks stay queryable for the retention period",
          "[http][retention]") {
  http_fixture f{{"--retention-ms=500", "--history=memory"}};
  auto id = f.start("ticker", R"({"steps":1,"interval_ms":1})");
  REQUIRE(test::eventually([&] {
    auto snap = f.get("/api/tasks/" + id);
    return snap.status == 200 &&
           std::string{http_fixture::parse(snap.body)["state"].GetString()} ==
               "completed";
  }));
  // The log is still replayable.
  test::sse_reader sse;
  REQUIRE(sse.stream.open(f.server.port(), "/api/tasks/" + id + "/events") ==
          200);
  CHECK(sse.until("result").size() == 3);
  CHECK(test::eventually(
      [&] { return f.get("/api/tasks/" + id).status == 404; }, 5s));
  auto gone = f.get("/api/tasks/" + id);
  CHECK(gone.status == 404);
  CHECK(code_of(gone) == "unknown_task");
}

TEST_CASE("both doors answer the same command with the same reply",
          "[http][ws][errors]") {
  http_fixture f;
  test::ws_client ws;
  REQUIRE(ws.connect(f.server.port()));
  ws.read_json();
  auto task = f.start("ticker", R"({"steps":1000,"interval_ms":50})");
  struct probe {
    std::string ws;     // the WebSocket message, without type and id
    std::string method; // the HTTP request
    std::string target;
    std::string body;
    std::string code; // expected: an error code, or "" for success
  };
  std::vector<probe> probes = {
      {R"("type":"start","task":"nope")", "POST", "/api/tasks",
       R"({"task":"nope"})", "unknown_task_kind"},
      {R"("type":"start","task":"ticker","params":3)", "POST", "/api/tasks",
       R"({"task":"ticker","params":3})", "invalid_params"},
      {R"("type":"start","task":"ticker","params":{"steps":-1})", "POST",
       "/api/tasks", R"({"task":"ticker","params":{"steps":-1}})",
       "invalid_params"},
      // A number past int64 must be refused by the schema, not crash the
      // flow that reads it.
      {R"("type":"start","task":"audit","params":{"large_file_bytes":18446744073709551615})",
       "POST", "/api/tasks",
       R"({"task":"audit","params":{"large_file_bytes":18446744073709551615}})",
       "invalid_params"},
      {R"("type":"stop","task_id":"t-nope")", "POST", "/api/tasks/t-nope/stop",
       "{}", "unknown_task"},
      {R"("type":"input","task_id":"t-nope","request_id":"r","value":1)",
       "POST", "/api/tasks/t-nope/input", R"({"request_id":"r","value":1})",
       "unknown_task"},
      {R"("type":"input","task_id":")" + task + R"(","request_id":"r")", "POST",
       "/api/tasks/" + task + "/input", R"({"request_id":"r"})", "bad_message"},
      {R"("type":"input","task_id":")" + task +
           R"(","request_id":"r","value":1)",
       "POST", "/api/tasks/" + task + "/input",
       R"({"request_id":"r","value":1})", "no_pending_input"},
      {R"("type":"call_tool","call_id":"c","tool":"no.such","args":{})", "POST",
       "/api/tools/no.such/call", R"({"call_id":"c","args":{}})",
       "unknown_tool"},
      {R"("type":"call_tool","call_id":"c","tool":"fs.hash","args":{"path":7})",
       "POST", "/api/tools/fs.hash/call",
       R"({"call_id":"c","args":{"path":7}})", "invalid_args"},
      {R"("type":"call_tool","call_id":"c","tool":"fs.hash")", "POST",
       "/api/tools/fs.hash/call", R"({"call_id":"c"})", "invalid_args"},
      {R"("type":"list_tasks","limit":0)", "GET", "/api/tasks?limit=0", "",
       "bad_message"},
      {R"("type":"list_tasks","limit":2)", "GET", "/api/tasks?limit=2", "", ""},
      {R"("type":"list_tools")", "GET", "/api/tools", "", ""},
      {R"("type":"list_kinds")", "GET", "/api/kinds", "", ""},
      {R"("type":"call_tool","call_id":"c","tool":"fs.hash","args":{"path":"docs/readme.md"})",
       "POST", "/api/tools/fs.hash/call",
       R"({"call_id":"c","args":{"path":"docs/readme.md"}})", ""},
  };
  int n = 0;
  for (auto& p : probes) {
    auto id = "p" + std::to_string(n++);
    INFO(p.method << " " << p.target << " / " << p.ws);
    auto w = ws.request("{" + p.ws + R"(,"id":")" + id + "\"}", id);
    auto h = test::request(f.server.port(), p.method, p.target, p.body,
                           {{"Content-Type", "application/json"}});
    auto hd = http_fixture::parse(h.body);
    if (p.code.empty()) {
      CHECK(h.status == 200);
      CHECK(test::type_of(hd) == test::type_of(w));
      CHECK(test::type_of(w) != "error");
      continue;
    }
    REQUIRE(test::type_of(w) == "error");
    CHECK(std::string{w["code"].GetString()} == p.code);
    CHECK(code_of(h) == p.code);
    // The message is the same text on both doors.
    CHECK(std::string{hd["message"].GetString()} == w["message"].GetString());
    CHECK(h.status != 200);
  }
  // Still serving.
  CHECK(f.get("/healthz").status == 200);
  CHECK(ws.request(R"({"type":"ping","id":"last"})", "last")["type"] == "pong");
}

TEST_CASE("get_status and GET /api/status describe the node and count its "
          "tasks and events",
          "[http][status]") {
  http_fixture f{{"--history=memory", "--retention-ms=90000"}};
  test::ws_client c;
  REQUIRE(c.connect(f.server.port()));
  REQUIRE(test::type_of(c.read_json()) == "hello");
  auto status = [&] {
    auto r = f.get("/api/status");
    REQUIRE(r.status == 200);
    return http_fixture::parse(r.body);
  };
  auto first = status();
  CHECK(std::string{first["type"].GetString()} == "status");
  CHECK_FALSE(first.HasMember("reply_to"));
  CHECK(std::string{first["node"].GetString()} == "local");
  CHECK(std::string{first["server"].GetString()}.rfind("switchboard/", 0) == 0);
  CHECK(std::string{first["history"].GetString()} == "memory");
  CHECK(first["retention_ms"].GetInt64() == 90000);
  CHECK(first["max_tasks_kept"].IsNull());
  CHECK(first["tasks"]["running"].GetInt64() == 0);
  CHECK(first["tasks"]["waiting_input"].GetInt64() == 0);
  CHECK(first["tasks"]["failed_last_hour"].GetUint64() == 0);
  CHECK(first["events_total"].GetUint64() == 0);
  CHECK_FALSE(first["draining"].GetBool());
  // A long ticker runs; a triage waits for its first answer.
  f.start("ticker", R"({"steps":100,"interval_ms":60000})");
  f.start("triage", R"({"path":"."})");
  CHECK(test::eventually(
      [&] {
        auto s = status();
        return s["tasks"]["running"].GetInt64() == 1 &&
               s["tasks"]["waiting_input"].GetInt64() == 1;
      },
      10s));
  // The same over WebSocket, as a reply; events counted: the ticker's
  // started and first progress at least, the triage's up to its question.
  auto ws = c.request(R"({"type":"get_status","id":"g"})", "g");
  CHECK(test::type_of(ws) == "status");
  CHECK(std::string{ws["reply_to"].GetString()} == "g");
  CHECK(ws["tasks"]["running"].GetInt64() == 1);
  CHECK(ws["tasks"]["waiting_input"].GetInt64() == 1);
  CHECK(ws["events_total"].GetUint64() >= 4);
  CHECK(ws["ts"].GetInt64() >= first["ts"].GetInt64());
  // Fields of the command are ignored like any other unknown field.
  auto extra = c.request(R"({"type":"get_status","id":"h","x":1})", "h");
  CHECK(test::type_of(extra) == "status");
  // The route allows GET only.
  auto post = f.post("/api/status", "{}");
  CHECK(post.status == 405);
  CHECK(post.header("allow") == "GET");
}

TEST_CASE("get_status with the history describes what it keeps",
          "[http][status]") {
  http_fixture f{{"--max-tasks-kept=500"}};
  auto doc = http_fixture::parse(f.get("/api/status").body);
  CHECK(std::string{doc["history"].GetString()} == "sqlite");
  CHECK(doc["retention_ms"].GetInt64() == 7LL * 24 * 3600 * 1000);
  CHECK(doc["max_tasks_kept"].GetUint64() == 500);
}
