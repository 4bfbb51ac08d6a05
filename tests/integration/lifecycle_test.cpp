// Faults, abuse and shutdown against the real server binary on port 0.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "protocol/json.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json.hpp"
#include "tests/support/server_fixture.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/ws_client.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

using life_fixture = test::server_fixture;

using test::parse;

using test::str;

// Reads everything until the connection ends; returns the messages.
std::vector<std::string> read_to_end(test::ws_client& c,
                                     std::chrono::milliseconds timeout) {
  std::vector<std::string> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (c.is_open() && std::chrono::steady_clock::now() < deadline)
    if (auto m = c.read_text(200ms))
      out.push_back(*m);
  return out;
}

// Checks that the events of `task_id` in `msgs` run 1..n without gaps and
// that exactly the last one is terminal; returns the terminal event's type.
std::string check_stream(const std::vector<std::string>& msgs,
                         const std::string& task_id, uint64_t first = 1) {
  uint64_t next = first;
  std::string last;
  for (auto& m : msgs) {
    auto d = parse(m);
    if (!d.HasMember("seq") || d.HasMember("reply_to") ||
        str(d, "task_id") != task_id)
      continue;
    CHECK(d["seq"].GetUint64() == next);
    ++next;
    last = str(d, "type");
  }
  return last;
}

} // namespace

TEST_CASE("SIGTERM drains: shutdown notice, grace, every event, 1001, exit 0",
          "[lifecycle][drain]") {
  life_fixture f{{"--grace-ms=1500"}};
  auto a = f.connect();
  auto b = f.connect();
  auto start = [&](test::ws_client& c, const std::string& id,
                   const std::string& params) {
    auto ok = c.request(R"({"type":"start","id":")" + id +
                            R"(","task":"ticker","params":)" + params + "}",
                        id);
    REQUIRE(test::type_of(ok) == "start_success");
    return str(ok, "task_id");
  };
  auto quick = start(*a, "q", R"({"steps":5,"interval_ms":100})");
  auto slow = start(*a, "s", R"({"steps":100000,"interval_ms":50})");
  // b watches both tasks too.
  for (auto& id : {quick, slow})
    REQUIRE(test::type_of(b->request(
                R"({"type":"subscribe","id":"x","task_id":")" + id + R"("})",
                "x")) == "subscribe_success");
  test::http_stream sse;
  REQUIRE(sse.open(f.server.port(), "/api/tasks/" + slow + "/events") == 200);
  auto t0 = std::chrono::steady_clock::now();
  f.server.signal(SIGTERM);
  // Both clients are told, with the grace period.
  auto notice = a->read_type("shutdown", 3s);
  CHECK(notice["grace_ms"].GetInt() == 1500);
  CHECK(b->read_type("shutdown", 3s)["grace_ms"].GetInt() == 1500);
  // While draining: not ready, no new tasks, no new tool calls.
  auto ready = test::request(f.server.port(), "GET", "/readyz");
  CHECK(ready.status == 503);
  CHECK(test::request(f.server.port(), "GET", "/healthz").status == 200);
  auto refused =
      a->request(R"({"type":"start","id":"n","task":"ticker"})", "n");
  CHECK(str(refused, "code") == "shutting_down");
  auto call = a->request(
      R"({"type":"call_tool","id":"c","call_id":"c1","tool":"fs.list","args":{}})",
      "c");
  CHECK(str(call, "code") == "shutting_down");
  auto http_start = test::request(f.server.port(), "POST", "/api/tasks",
                                  R"({"task":"ticker"})",
                                  {{"Content-Type", "application/json"}});
  CHECK(http_start.status == 503);
  // Everything up to each terminal event arrives, then close 1001.
  std::vector<std::string> ma;
  std::vector<std::string> mb;
  for (auto& s : a->skipped())
    ma.push_back(s);
  for (auto& s : b->skipped())
    mb.push_back(s);
  for (auto& m : read_to_end(*a, 6s))
    ma.push_back(m);
  for (auto& m : read_to_end(*b, 6s))
    mb.push_back(m);
  CHECK(a->close_code() == 1001);
  CHECK(b->close_code() == 1001);
  CHECK(check_stream(ma, quick) == "result");
  CHECK(check_stream(ma, slow) == "stopped");
  bool saw_shutdown_reason = false;
  for (auto& m : ma)
    if (m.find(R"("type":"stopped")") != std::string::npos)
      saw_shutdown_reason =
          m.find(R"("reason":"shutdown")") != std::string::npos;
  CHECK(saw_shutdown_reason);
  // The SSE stream ends with the stopped event.
  auto text = sse.read_all(5s);
  CHECK(text.find("event: stopped") != std::string::npos);
  CHECK_FALSE(sse.is_open());
  auto status = f.server.wait(5s);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < 1500ms + 3s);
}

TEST_CASE("a peer that answers no pings is closed with 1011",
          "[lifecycle][heartbeat]") {
  // 250 ms, not less: a reading client must answer within three beats even
  // when this machine is loaded (at 100 ms it was cut off at load 10).
  life_fixture f{{"--heartbeat-ms=250"}};
  test::ws_client silent;
  REQUIRE(silent.connect(f.server.port()));
  // Not reading means not answering pings: dropped after three heartbeats.
  CHECK(test::eventually([&] {
    return test::metric(f.server.port(),
                        "switchboard_disconnects_total{reason=\"heartbeat\","
                        "transport=\"websocket\"}") == 1;
  }));
  auto msgs = read_to_end(silent, 3s);
  CHECK_FALSE(silent.is_open());
  CHECK(silent.close_code() == 1011);
  // A client that reads (and so answers pings) stays.
  auto alive = f.connect();
  for (int i = 0; i < 8; ++i)
    alive->read_text(250ms);
  CHECK(alive->is_open());
  CHECK(test::type_of(alive->request(R"({"type":"ping","id":"p"})", "p")) ==
        "pong");
}

TEST_CASE("a client that stops reading is cut off, others are not",
          "[lifecycle][slow]") {
  // The task pushes only as fast as a subscriber takes events, so a reader
  // that stops stalls its connection's writes: cut off after the write
  // timeout (no close frame fits a full socket, so 1013 or a plain EOF).
  life_fixture f{{"--max-queue-bytes=65536", "--max-log-events=200000",
                  "--write-timeout-ms=500", "--socket-send-buffer=16384"}};
  auto started = test::request(
      f.server.port(), "POST", "/api/tasks",
      R"({"task":"ticker","params":{"steps":200000,"interval_ms":0}})",
      {{"Content-Type", "application/json"}});
  REQUIRE(started.status == 201);
  std::string id = parse(started.body)["task_id"].GetString();
  // The slow client subscribes from the start and then reads nothing.
  auto slow = f.connect();
  REQUIRE(slow->send_text(R"({"type":"subscribe","task_id":")" + id + R"("})"));
  // Its writes stall, and the write timeout drops it.
  CHECK(test::eventually(
      [&] {
        return test::metric(f.server.port(),
                            "switchboard_disconnects_total{reason=\"slow_"
                            "consumer\",transport=\"websocket\"}") == 1;
      },
      20s));
  // Meanwhile a normal client is served.
  auto normal = f.connect();
  for (int i = 0; i < 20; ++i)
    CHECK(test::type_of(normal->request(R"({"type":"ping","id":"p"})", "p")) ==
          "pong");
  // The slow one was disconnected (1013 when the close frame fits).
  read_to_end(*slow, 20s);
  CHECK_FALSE(slow->is_open());
  CHECK((slow->close_code() == 1013 || slow->close_code() == 0));
  // It can resume by seq on a new connection.
  auto again = f.connect();
  REQUIRE(again->send_text(R"({"type":"subscribe","id":"r","task_id":")" + id +
                           R"(","after":49000})"));
  auto ev = again->read_until(
      [](auto& d) { return d.HasMember("seq") && !d.HasMember("reply_to"); });
  CHECK(ev["seq"].GetUint64() == 49001);
}

TEST_CASE("a replay larger than the queue bound is paced, not cut off",
          "[lifecycle][slow]") {
  life_fixture f{{"--max-log-events=100000"}};
  auto started = test::request(
      f.server.port(), "POST", "/api/tasks",
      R"({"task":"ticker","params":{"steps":40000,"interval_ms":0}})",
      {{"Content-Type", "application/json"}});
  REQUIRE(started.status == 201);
  std::string id = parse(started.body)["task_id"].GetString();
  for (int i = 0; i < 200; ++i) {
    auto snap = test::request(f.server.port(), "GET", "/api/tasks/" + id);
    if (parse(snap.body)["state"] == "completed")
      break;
    std::this_thread::sleep_for(50ms);
  }
  // About 6 MB of events against a 4 MiB queue bound.
  auto c = f.connect();
  REQUIRE(c->send_text(R"({"type":"subscribe","id":"r","task_id":")" + id +
                       R"(","after":10})"));
  uint64_t next = 11;
  for (;;) {
    auto d = c->read_json(10s);
    if (!d.HasMember("seq") || d.HasMember("reply_to"))
      continue;
    REQUIRE(d["seq"].GetUint64() == next);
    ++next;
    if (test::type_of(d) == "result")
      break;
  }
  CHECK(next == 40003);
  CHECK(c->is_open());
}

TEST_CASE("connections beyond the limit get 503", "[lifecycle][limits]") {
  life_fixture f{{"--max-connections=2"}};
  auto a = f.connect();
  auto b = f.connect();
  auto r = test::request(f.server.port(), "GET", "/healthz");
  CHECK(r.status == 503);
  CHECK(r.body.find("overloaded") != std::string::npos);
  b->close();
  CHECK(test::eventually([&] {
    return test::request(f.server.port(), "GET", "/healthz").status == 200;
  }));
}

TEST_CASE("running tasks beyond the limit are refused with overloaded",
          "[lifecycle][limits]") {
  life_fixture f{{"--max-tasks=1"}};
  auto c = f.connect();
  auto first = c->request(
      R"({"type":"start","id":"1","task":"ticker","params":{"steps":1000,"interval_ms":100}})",
      "1");
  CHECK(test::type_of(first) == "start_success");
  auto second = c->request(R"({"type":"start","id":"2","task":"ticker"})", "2");
  CHECK(str(second, "code") == "overloaded");
  auto http = test::request(f.server.port(), "POST", "/api/tasks",
                            R"({"task":"ticker"})",
                            {{"Content-Type", "application/json"}});
  CHECK(http.status == 503);
}

TEST_CASE("a flooding client gets rate_limited and keeps its connection",
          "[lifecycle][limits]") {
  life_fixture f{{"--rate-limit=5"}};
  auto c = f.connect();
  for (int i = 0; i < 40; ++i)
    REQUIRE(c->send_text(R"({"type":"ping"})"));
  int pongs = 0;
  int limited = 0;
  for (int i = 0; i < 40; ++i) {
    auto d = c->read_json();
    if (test::type_of(d) == "pong")
      ++pongs;
    else if (test::type_of(d) == "error" && str(d, "code") == "rate_limited")
      ++limited;
  }
  // A burst of 10, plus what refills while the 40 arrive (slow machines and
  // sanitizer builds take longer to send them).
  CHECK(pongs >= 10);
  CHECK(pongs <= 20);
  CHECK(limited >= 20);
  CHECK(pongs + limited == 40);
  std::this_thread::sleep_for(1s);
  CHECK(test::type_of(c->request(R"({"type":"ping","id":"p"})", "p")) ==
        "pong");
}

TEST_CASE("with tokens, requests need one and tasks belong to it",
          "[lifecycle][auth]") {
  life_fixture f{{"--tokens=alpha-1,beta-2"}};
  auto port = f.server.port();
  auto anon = test::request(port, "GET", "/api/tasks");
  CHECK(anon.status == 401);
  CHECK(anon.header("www-authenticate") == "Bearer");
  CHECK(test::request(port, "GET", "/api/tasks", {},
                      {{"Authorization", "Bearer wrong"}})
            .status == 401);
  test::header_list alpha{{"Authorization", "Bearer alpha-1"}};
  test::header_list beta{{"Authorization", "Bearer beta-2"}};
  auto json = test::header_list{{"Content-Type", "application/json"}};
  auto with = [](test::header_list a, const test::header_list& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  auto started = test::request(port, "POST", "/api/tasks",
                               R"({"task":"ticker","params":{"steps":1000}})",
                               with(alpha, json));
  REQUIRE(started.status == 201);
  std::string id = parse(started.body)["task_id"].GetString();
  // beta cannot see, watch, answer or stop alpha's task.
  CHECK(parse(test::request(port, "GET", "/api/tasks", {}, beta).body)["tasks"]
            .Size() == 0);
  CHECK(parse(test::request(port, "GET", "/api/tasks", {}, alpha).body)["tasks"]
            .Size() == 1);
  auto peek = test::request(port, "GET", "/api/tasks/" + id, {}, beta);
  CHECK(peek.status == 403);
  CHECK(str(parse(peek.body), "code") == "forbidden");
  CHECK(test::request(port, "POST", "/api/tasks/" + id + "/stop", "{}",
                      with(beta, json))
            .status == 403);
  CHECK(test::request(port, "GET", "/api/tasks/" + id + "/events", {}, beta)
            .status == 403);
  // The query parameter works for browsers' EventSource.
  CHECK(test::request(port, "GET", "/api/tasks/" + id + "?access_token=alpha-1")
            .status == 200);
  // WebSocket: no token → closed with 1008.
  test::ws_client nobody;
  REQUIRE(nobody.connect(port));
  read_to_end(nobody, 2s);
  CHECK(nobody.close_code() == 1008);
  // A subprotocol entry carries the token for browsers, and is echoed.
  test::ws_client sub;
  REQUIRE(sub.connect(
      port, "/ws",
      {{"Sec-WebSocket-Protocol", "switchboard.v1, bearer.beta-2"}}));
  CHECK(sub.handshake_header("sec-websocket-protocol") == "switchboard.v1");
  REQUIRE(test::type_of(sub.read_json()) == "hello");
  auto denied = sub.request(
      R"({"type":"subscribe","id":"s","task_id":")" + id + R"("})", "s");
  CHECK(str(denied, "code") == "forbidden");
  auto stop =
      sub.request(R"({"type":"stop","id":"t","task_id":")" + id + R"("})", "t");
  CHECK(str(stop, "code") == "forbidden");
  // The owner over WebSocket with the query parameter.
  test::ws_client owner;
  REQUIRE(owner.connect(port, "/ws?access_token=alpha-1"));
  REQUIRE(test::type_of(owner.read_json()) == "hello");
  auto ok = owner.request(
      R"({"type":"stop","id":"t","task_id":")" + id + R"("})", "t");
  CHECK(str(ok, "state") == "cancelled");
}

TEST_CASE("foreign origins are refused", "[lifecycle][origin]") {
  life_fixture f{{"--allowed-origins=https://ui.example"}};
  auto port = f.server.port();
  auto host = "127.0.0.1:" + std::to_string(port);
  CHECK(test::request(port, "GET", "/api/tools", {},
                      {{"Origin", "http://evil.example"}})
            .status == 403);
  CHECK(test::request(port, "GET", "/api/tools", {},
                      {{"Origin", "http://" + host}})
            .status == 200);
  CHECK(test::request(port, "GET", "/api/tools", {},
                      {{"Origin", "https://ui.example"}})
            .status == 200);
  test::ws_client evil;
  REQUIRE(evil.connect(port, "/ws", {{"Origin", "http://evil.example"}}));
  read_to_end(evil, 2s);
  CHECK(evil.close_code() == 1008);
  test::ws_client good;
  REQUIRE(good.connect(port, "/ws", {{"Origin", "http://" + host}}));
  CHECK(test::type_of(good.read_json()) == "hello");
}

TEST_CASE("a public bind without tokens is refused", "[lifecycle][auth]") {
  std::string cmd =
      std::string{SWITCHBOARD_BINARY} + " --port=0 --host=0.0.0.0 2>&1";
  auto* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[256];
  while (auto n = fread(buf, 1, sizeof(buf), p))
    out.append(buf, n);
  auto status = pclose(p);
  CHECK(WEXITSTATUS(status) != 0);
  CHECK(out.find("--insecure") != std::string::npos);
}
