// Issue 10, the holes of the adversarial review: each attack as a client
// sends it, against the real server binary on port 0, with the exact
// answer asserted and the server still serving afterwards.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "protocol/json.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json.hpp"
#include "tests/support/server_fixture.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/ws_client.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

struct sec_fixture : test::server_fixture {
  using test::server_fixture::server_fixture;

  uint16_t port() const {
    return server.port();
  }

  test::http_reply get(const std::string& target,
                       const test::header_list& headers = {}) {
    return test::request(server.port(), "GET", target, {}, headers);
  }

  test::http_reply post(const std::string& target, const std::string& body,
                        test::header_list headers = {}) {
    bool has_type = false;
    for (auto& [name, value] : headers)
      has_type = has_type || name == "Content-Type";
    if (!has_type)
      headers.emplace_back("Content-Type", "application/json");
    return test::request(server.port(), "POST", target, body, headers);
  }

  // The server still answers a plain request.
  void still_serving() {
    CHECK(get("/healthz").status == 200);
  }
};

using test::parse;

std::string code_of(const std::string& body) {
  auto doc = parse(body);
  if (!doc.IsObject() || !doc.HasMember("code") || !doc["code"].IsString())
    return {};
  return doc["code"].GetString();
}

using test::str;

// Runs the binary with `args` until it exits (it must refuse to start);
// returns its exit status and everything it printed.

} // namespace

// -- 1. DNS rebinding ---------------------------------------------------------

TEST_CASE("a foreign Host is refused before any routing",
          "[security][rebinding]") {
  sec_fixture f;
  auto port = std::to_string(f.port());
  test::header_list rebind{{"Host", "rebind.example:" + port},
                           {"Origin", "http://rebind.example:" + port}};
  // The attack of the review: a tool call reading the workspace.
  auto call =
      f.post("/api/tools/fs.read/call",
             R"({"call_id":"x","args":{"path":"config/app.env"}})", rebind);
  CHECK(call.status == 403);
  CHECK(code_of(call.body) == "forbidden");
  CHECK(call.body.find("AKIA") == std::string::npos);
  // Every path: API, SSE, health, metrics, the web app's files.
  for (auto target : {"/api/tasks", "/api/tasks/t-x/events", "/api/tools",
                      "/healthz", "/metrics", "/", "/index.html"}) {
    auto r = f.get(target, {{"Host", "rebind.example:" + port}});
    INFO(target);
    CHECK(r.status == 403);
    CHECK(code_of(r.body) == "forbidden");
  }
  // The WebSocket upgrade is refused with 403, not accepted.
  test::ws_client ws;
  CHECK_FALSE(ws.connect(f.port(), "/ws", rebind));
  CHECK(ws.handshake_status() == 403);
  // Names that only look like loopback are not loopback.
  for (auto host : {"127.evil.example", "127.0.0.1.evil.example",
                    "localhost.evil.example", "0x7f.0.0.1", "[::2]"}) {
    INFO(host);
    CHECK(f.get("/api/tools", {{"Host", std::string{host} + ":" + port}})
              .status == 403);
  }
  // Loopback names and addresses are the server's own.
  for (auto host : {"127.0.0.1", "127.0.0.2", "localhost", "LOCALHOST",
                    "ui.localhost", "[::1]", "localhost."}) {
    INFO(host);
    CHECK(f.get("/api/tools", {{"Host", std::string{host} + ":" + port}})
              .status == 200);
  }
  f.still_serving();
}

TEST_CASE("allowed hosts add names, wildcards match subdomains only",
          "[security][rebinding]") {
  sec_fixture f{{"--allowed-hosts=app.example.com,*.corp.example"}};
  auto with_host = [&](const std::string& host) {
    return f.get("/api/tools", {{"Host", host}}).status;
  };
  CHECK(with_host("app.example.com") == 200);
  CHECK(with_host("APP.example.com:8080") == 200);
  CHECK(with_host("ui.corp.example") == 200);
  CHECK(with_host("a.b.corp.example") == 200);
  CHECK(with_host("corp.example") == 403);
  CHECK(with_host("evilcorp.example") == 403);
  CHECK(with_host("example.com") == 403);
  CHECK(with_host("app.example.com.evil") == 403);
}

TEST_CASE("Origin is compared as scheme, host and port", "[security][origin]") {
  sec_fixture f{{"--allowed-origins=https://ui.example"}};
  auto port = std::to_string(f.port());
  auto with_origin = [&](const std::string& origin) {
    return f.get("/api/tools", {{"Origin", origin}}).status;
  };
  CHECK(with_origin("http://127.0.0.1:" + port) == 200);
  CHECK(with_origin("https://ui.example") == 200);
  CHECK(with_origin("https://ui.example:443") == 200);
  CHECK(with_origin("evil://127.0.0.1:" + port) == 403);
  CHECK(with_origin("https://127.0.0.1:" + port) == 403);
  CHECK(with_origin("http://127.0.0.1:" + std::to_string(f.port() + 1)) == 403);
  CHECK(with_origin("http://ui.example") == 403);
  CHECK(with_origin("null") == 403);
  CHECK(with_origin("127.0.0.1:" + port) == 403);
  test::ws_client evil;
  REQUIRE(
      evil.connect(f.port(), "/ws", {{"Origin", "evil://127.0.0.1:" + port}}));
  for (int i = 0; i < 5 && evil.is_open(); ++i)
    evil.read_text(1s);
  CHECK(evil.close_code() == 1008);
  f.still_serving();
}

// -- 5. Re-subscribing never sends an event twice -----------------------------

namespace {

// Follows one task's events on `c`, checking each seq arrives exactly once
// and in order; returns the number of events seen once the terminal one
// arrived.
struct seq_checker {
  std::string task_id;
  uint64_t highest = 0;
  bool done = false;
  std::vector<uint64_t> out_of_order;
  std::vector<std::string> history;

  // Consumes one message; returns its reply_to (or "").
  std::string take(const rapidjson::Document& msg) {
    if (msg.HasMember("seq") && msg.HasMember("task_id") &&
        msg["task_id"].IsString() && msg["task_id"].GetString() == task_id) {
      auto seq = msg["seq"].GetUint64();
      if (seq != highest + 1) {
        out_of_order.push_back(seq);
        // What led to the first one, for whoever reads a failure.
        if (out_of_order.size() == 1)
          for (auto& h : history)
            std::fprintf(stderr, "  before: %s\n", h.c_str());
        if (out_of_order.size() == 1)
          std::fprintf(stderr, "  now: %s\n",
                       protocol::to_json(msg).substr(0, 120).c_str());
      }
      highest = std::max(highest, seq);
      auto type = test::type_of(msg);
      if (type == "result" || type == "error" || type == "stopped")
        done = true;
    }
    history.push_back(protocol::to_json(msg).substr(0, 100));
    if (history.size() > 12)
      history.erase(history.begin());
    if (msg.HasMember("reply_to") && msg["reply_to"].IsString())
      return msg["reply_to"].GetString();
    return {};
  }
};

} // namespace

TEST_CASE("subscribing again while events flow sends none twice",
          "[security][resume]") {
  sec_fixture f;
  auto c = f.connect();
  auto started = c->request(
      R"({"type":"start","id":"s","task":"ticker","params":{"steps":3000,"interval_ms":1}})",
      "s");
  seq_checker check;
  check.task_id = str(started, "task_id");
  // The review's attack: subscribe with after = the highest seq received,
  // again and again, without waiting for the replies.
  int sent = 0;
  while (!check.done) {
    if (sent < 300) {
      REQUIRE(c->send_text(R"({"type":"subscribe","id":"r","task_id":")" +
                           check.task_id + R"(","after":)" +
                           std::to_string(check.highest) + "}"));
      ++sent;
    }
    check.take(c->read_json(10s));
  }
  CHECK(check.out_of_order.empty());
  CHECK(check.highest == 3002);
  f.still_serving();
}

TEST_CASE("random subscribe, unsubscribe and resume: each seq once, in order",
          "[security][resume][property]") {
  // Operations come faster than the default rate limit allows.
  sec_fixture f{{"--rate-limit=100000"}};
  std::mt19937 rng{GENERATE(1u, 2u, 3u)};
  auto c = f.connect();
  auto started = c->request(
      R"({"type":"start","id":"s","task":"ticker","params":{"steps":1500,"interval_ms":1}})",
      "s");
  seq_checker check;
  check.task_id = str(started, "task_id");
  bool subscribed = true;
  int op = 0;
  auto sub = [&](uint64_t after) {
    check.history.push_back("SEND subscribe after=" + std::to_string(after));
    REQUIRE(c->send_text(R"({"type":"subscribe","id":"op)" +
                         std::to_string(++op) + R"(","task_id":")" +
                         check.task_id + R"(","after":)" +
                         std::to_string(after) + "}"));
  };
  while (!check.done) {
    switch (rng() % 8) {
    case 0: { // Unsubscribe, wait for the reply, resume from what we have.
      if (!subscribed)
        break;
      auto id = "op" + std::to_string(++op);
      check.history.push_back("SEND unsubscribe");
      REQUIRE(c->send_text(R"({"type":"unsubscribe","id":")" + id +
                           R"(","task_id":")" + check.task_id + "\"}"));
      while (check.take(c->read_json(10s)) != id) {
      }
      subscribed = false;
      if (check.done)
        break;
      sub(check.highest);
      subscribed = true;
      break;
    }
    case 1: // Resume from the highest seq seen, pipelined.
      sub(check.highest);
      break;
    case 2: // Resume from an older seq while subscribed.
      sub(check.highest / 2);
      break;
    default: check.take(c->read_json(10s));
    }
  }
  std::string bad;
  for (auto x : check.out_of_order)
    bad += std::to_string(x) + " ";
  INFO("out of order: " << bad);
  CHECK(check.out_of_order.empty());
  CHECK(check.highest == 1502);
}

// -- 6. SSE resume past the end ----------------------------------------------

TEST_CASE("SSE resume past the end waits for the task and ends with it",
          "[security][sse]") {
  sec_fixture f;
  auto started =
      f.post("/api/tasks",
             R"({"task":"ticker","params":{"steps":10,"interval_ms":50}})");
  REQUIRE(started.status == 201);
  auto id = str(parse(started.body), "task_id");
  test::http_stream s;
  REQUIRE(s.open(f.port(), "/api/tasks/" + id + "/events",
                 {{"Last-Event-ID", "1000"}}) == 200);
  auto text = s.read_all(10s);
  CHECK_FALSE(s.is_open());
  CHECK(text.find("event: progress") == std::string::npos);
  CHECK(text.find("events_expired") == std::string::npos);
  // Finished: a resume beyond its end gets the snapshot and ends at once.
  for (auto last : {"1000", "18446744073709551615"}) {
    INFO(last);
    test::http_stream done;
    REQUIRE(done.open(f.port(), "/api/tasks/" + id + "/events",
                      {{"Last-Event-ID", last}}) == 200);
    auto rest = done.read_all(5s);
    CHECK_FALSE(done.is_open());
    CHECK(rest.find("event: snapshot") != std::string::npos);
    CHECK(rest.find("\"state\":\"completed\"") != std::string::npos);
    CHECK(rest.find("events_expired") == std::string::npos);
  }
  // Overflow on a running task: no bogus gap, and it ends with the task.
  auto again =
      f.post("/api/tasks",
             R"({"task":"ticker","params":{"steps":5,"interval_ms":50}})");
  auto id2 = str(parse(again.body), "task_id");
  test::http_stream big;
  REQUIRE(big.open(f.port(), "/api/tasks/" + id2 + "/events",
                   {{"Last-Event-ID", "18446744073709551615"}}) == 200);
  auto all = big.read_all(10s);
  CHECK_FALSE(big.is_open());
  CHECK(all.find("events_expired") == std::string::npos);
  // The WebSocket cursor ends the same way on a terminal event it skips.
  auto c = f.connect();
  auto t3 = c->request(
      R"({"type":"start","id":"s","task":"ticker","params":{"steps":3,"interval_ms":50}})",
      "s");
  auto sub = c->request(R"({"type":"subscribe","id":"b","task_id":")" +
                            str(t3, "task_id") + R"(","after":1000})",
                        "b");
  CHECK(test::type_of(sub) == "subscribe_success");
  f.still_serving();
}

// -- 7. Empty token lists ----------------------------------------------------

TEST_CASE("empty and blank tokens are refused at start", "[security][auth]") {
  for (auto arg : {"--tokens=", "--tokens=,", "--tokens=abcdefghijklmnopq,",
                   "--tokens= ", "--tokens=a b c d e f g h i"}) {
    INFO(arg);
    auto [status, out] = test::run_to_exit({"--port=0", arg});
    CHECK(status == 2);
    CHECK(out.find("option tokens") != std::string::npos);
  }
}

// -- 8. A large reply is not a slow consumer; lists are paginated -------------

TEST_CASE("one reply larger than the queue bound reaches a reading client",
          "[security][limits]") {
  sec_fixture f{{"--max-queue-bytes=65536"}};
  {
    std::ofstream zeros{f.tree.root() / "zeros.bin", std::ios::binary};
    std::string block(64 * 1024, '\0');
    for (int i = 0; i < 16; ++i)
      zeros << block;
  }
  auto c = f.connect();
  auto reply = c->request(
      R"({"type":"call_tool","id":"z","call_id":"z","tool":"fs.read","args":{"path":"zeros.bin","max_bytes":1048576}})",
      "z", 20s);
  CHECK(test::type_of(reply) == "tool_result");
  CHECK(c->is_open());
  CHECK(test::type_of(c->request(R"({"type":"ping","id":"p"})", "p")) ==
        "pong");
}

TEST_CASE("list_tasks and GET /api/tasks are paginated, newest first",
          "[security][limits]") {
  sec_fixture f;
  auto c = f.connect();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = c->request(
        R"({"type":"start","id":"s","task":"ticker","params":{"steps":1,"interval_ms":0}})",
        "s");
    ids.push_back(str(r, "task_id"));
  }
  std::vector<std::string> listed;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    auto req = std::string{R"({"type":"list_tasks","id":"l","limit":2)"};
    if (!cursor.empty())
      req += R"(,"cursor":")" + cursor + "\"";
    auto reply = c->request(req + "}", "l");
    REQUIRE(reply["tasks"].Size() <= 2);
    for (auto& t : reply["tasks"].GetArray())
      listed.push_back(t["task_id"].GetString());
    if (!reply.HasMember("next_cursor"))
      break;
    cursor = reply["next_cursor"].GetString();
  }
  CHECK(listed == std::vector<std::string>{ids.rbegin(), ids.rend()});
  // The same pages over HTTP.
  auto first = f.get("/api/tasks?limit=3");
  REQUIRE(first.status == 200);
  auto doc = parse(first.body);
  REQUIRE(doc["tasks"].Size() == 3);
  CHECK(str(doc["tasks"][0], "task_id") == ids[4]);
  auto second =
      parse(f.get("/api/tasks?limit=3&cursor=" + str(doc, "next_cursor")).body);
  REQUIRE(second["tasks"].Size() == 2);
  CHECK(str(second["tasks"][1], "task_id") == ids[0]);
  CHECK_FALSE(second.HasMember("next_cursor"));
  // Bad limits and cursors.
  for (auto q : {"limit=0", "limit=1001", "limit=x", "cursor=nope"}) {
    INFO(q);
    auto r = f.get(std::string{"/api/tasks?"} + q);
    CHECK(r.status == 400);
    CHECK(code_of(r.body) == "bad_message");
  }
  auto bad = c->request(R"({"type":"list_tasks","id":"l","limit":0})", "l");
  CHECK(str(bad, "code") == "bad_message");
  f.still_serving();
}

// -- 9. Finished tasks pin bounded memory -------------------------------------

TEST_CASE("finished tasks beyond the byte budget are forgotten, oldest first",
          "[security][memory]") {
  sec_fixture f{{"--max-retained-bytes=100000", "--history=memory"}};
  auto c = f.connect();
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    auto r = c->request(
        R"({"type":"start","id":"s","task":"ticker","params":{"steps":300,"interval_ms":0}})",
        "s");
    ids.push_back(str(r, "task_id"));
    c->read_until(
        [&](const rapidjson::Document& d) {
          return test::type_of(d) == "result" &&
                 str(d, "task_id") == ids.back();
        },
        20s);
  }
  // About 300 events of ~150 bytes each: some 60 KB per task, so only the
  // newest one or two fit in 100,000 bytes.
  auto list = c->request(R"({"type":"list_tasks","id":"l"})", "l");
  std::set<std::string> kept;
  for (auto& t : list["tasks"].GetArray())
    kept.insert(t["task_id"].GetString());
  CHECK(kept.size() < 4);
  CHECK(kept.count(ids.back()) == 1);
  CHECK(kept.count(ids.front()) == 0);
  auto gone = c->request(
      R"({"type":"subscribe","id":"g","task_id":")" + ids.front() + "\"}", "g");
  CHECK(str(gone, "code") == "unknown_task");
  f.still_serving();
}

TEST_CASE("stop reasons are length-limited", "[security][memory]") {
  sec_fixture f;
  auto c = f.connect();
  auto r = c->request(
      R"({"type":"start","id":"s","task":"ticker","params":{"steps":100,"interval_ms":100}})",
      "s");
  auto id = str(r, "task_id");
  auto long_reason = std::string(1025, 'r');
  auto refused = c->request(R"({"type":"stop","id":"x","task_id":")" + id +
                                R"(","reason":")" + long_reason + "\"}",
                            "x");
  CHECK(str(refused, "code") == "bad_message");
  auto http = f.post("/api/tasks/" + id + "/stop",
                     R"({"reason":")" + long_reason + "\"}");
  CHECK(http.status == 400);
  CHECK(code_of(http.body) == "bad_message");
  auto ok = c->request(R"({"type":"stop","id":"y","task_id":")" + id +
                           R"(","reason":")" + std::string(1024, 'r') + "\"}",
                       "y");
  CHECK(test::type_of(ok) == "stop_success");
  auto fat = c->request(
      R"({"type":"start","id":"f","task":"ticker","params":{"pad":")" +
          std::string(70000, 'p') + "\"}}",
      "f");
  CHECK(str(fat, "code") == "invalid_params");
  auto long_id = c->request(R"({"type":"stop","id":"z","task_id":")" +
                                std::string(257, 't') + "\"}",
                            "z");
  CHECK(str(long_id, "code") == "bad_message");
}

// -- 10. Small mismatches
// -------------------------------------------------------

TEST_CASE("a message over the limit gets too_large, then close 1009",
          "[security][limits]") {
  sec_fixture f{{"--max-message-bytes=4096"}};
  auto c = f.connect();
  REQUIRE(c->send_text(R"({"type":"ping","pad":")" + std::string(100000, 'x') +
                       "\"}"));
  auto err = c->read_json(5s);
  CHECK(test::type_of(err) == "error");
  CHECK(str(err, "code") == "too_large");
  for (int i = 0; i < 5 && c->is_open(); ++i)
    c->read_text(2s);
  CHECK(c->close_code() == 1009);
  f.still_serving();
}

TEST_CASE("Content-Type must be application/json exactly", "[security][http]") {
  sec_fixture f;
  auto body = R"({"task":"ticker","params":{"steps":1,"interval_ms":0}})";
  for (auto ct : {"application/jsonx", "application/json-seq",
                  "text/plain; application/json"}) {
    INFO(ct);
    auto r = f.post("/api/tasks", body, {{"Content-Type", ct}});
    CHECK(r.status == 415);
    CHECK(code_of(r.body) == "bad_message");
  }
  for (auto ct : {"application/json", "application/json; charset=utf-8",
                  "Application/JSON;charset=UTF-8"}) {
    INFO(ct);
    CHECK(f.post("/api/tasks", body, {{"Content-Type", ct}}).status == 201);
  }
}

TEST_CASE("a bearer subprotocol is never echoed", "[security][auth]") {
  sec_fixture f{{"--tokens=alpha-token-0123456789"}};
  test::ws_client only_bearer;
  only_bearer.connect(
      f.port(), "/ws",
      {{"Sec-WebSocket-Protocol", "bearer.alpha-token-0123456789"}});
  CHECK(only_bearer.handshake_header("sec-websocket-protocol").find("bearer") ==
        std::string::npos);
  test::ws_client both;
  REQUIRE(both.connect(f.port(), "/ws",
                       {{"Sec-WebSocket-Protocol",
                         "bearer.alpha-token-0123456789, switchboard.v1"}}));
  CHECK(both.handshake_header("sec-websocket-protocol") == "switchboard.v1");
  CHECK(test::type_of(both.read_json()) == "hello");
}

TEST_CASE("request ids are echoed unchanged or refused", "[security][ids]") {
  sec_fixture f;
  auto c = f.connect();
  REQUIRE(c->send_text(R"({"type":"ping","id":9007199254740991})"));
  auto pong = c->read_text(5s);
  REQUIRE(pong);
  CHECK(pong->find(R"("reply_to":9007199254740991)") != std::string::npos);
  for (auto id :
       {"18446744073709551616", "9007199254740992", "1.5", "1e3", "-0.0"}) {
    INFO(id);
    REQUIRE(c->send_text(std::string{R"({"type":"ping","id":)"} + id + "}"));
    auto err = c->read_json(5s);
    CHECK(test::type_of(err) == "error");
    CHECK(str(err, "code") == "bad_message");
    CHECK_FALSE(err.HasMember("reply_to"));
  }
  CHECK(test::type_of(c->request(R"({"type":"ping","id":"p"})", "p")) ==
        "pong");
}

// -- 2. Symlink races ---------------------------------------------------------

TEST_CASE("swapping a directory for an outside symlink never leaks outside",
          "[security][symlink]") {
  sec_fixture f;
  namespace fs = std::filesystem;
  auto outside = f.tree.root().parent_path() /
                 (f.tree.root().filename().string() + "-outside");
  fs::create_directories(outside);
  const std::string marker = "OUTSIDE-MARKER-7f3a9c";
  {
    std::ofstream o{outside / "secret.txt"};
    o << marker << "\n";
  }
  fs::create_directories(f.tree.root() / "swap");
  {
    std::ofstream i{f.tree.root() / "swap" / "secret.txt"};
    i << "inside\n";
  }
  fs::create_directory_symlink(outside, f.tree.root() / "swap_link");
  auto a = (f.tree.root() / "swap").string();
  auto b = (f.tree.root() / "swap_link").string();
  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  std::thread swapper{[&] {
    while (!stop.load()) {
      // RENAME_EXCHANGE swaps both names atomically.
      if (::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(),
                    1u << 1) == 0)
        ++swaps;
    }
  }};
  test::http_client c;
  REQUIRE(c.connect(f.port()));
  int leaks = 0;
  int answered = 0;
  auto call = [&](const std::string& tool, const std::string& args) {
    auto r = c.request("POST", "/api/tools/" + tool + "/call",
                       R"({"call_id":"c","args":)" + args + "}",
                       {{"Content-Type", "application/json"}});
    if (r.status != 0)
      ++answered;
    if (r.body.find(marker) != std::string::npos)
      ++leaks;
  };
  for (int i = 0; i < 150; ++i) {
    call("fs.read", R"({"path":"swap/secret.txt"})");
    call("fs.list", R"({"path":"swap","recursive":true})");
    call("text.search", R"({"pattern":"MARKER","path":"swap"})");
    call("secrets.scan", R"({"path":"swap/secret.txt"})");
  }
  stop = true;
  swapper.join();
  fs::remove_all(outside);
  CHECK(swaps.load() > 0);
  CHECK(answered == 600);
  CHECK(leaks == 0);
  f.still_serving();
}

// -- 3. Blocking tools stop ---------------------------------------------------

TEST_CASE("long tool calls starve no one and do not hold up shutdown",
          "[security][tools]") {
  sec_fixture f{{"--tool-max-bytes=107374182400", "--grace-ms=500"}};
  {
    // 20 GB of holes: hashing it takes far longer than this test.
    std::ofstream{f.tree.root() / "huge.bin"};
    REQUIRE(::truncate((f.tree.root() / "huge.bin").c_str(), off_t{20} << 30) ==
            0);
  }
  auto hog = f.connect();
  for (auto id : {"h1", "h2", "h3"})
    REQUIRE(hog->send_text(
        std::string{R"({"type":"call_tool","id":")"} + id + R"(","call_id":")" +
        id + R"(","tool":"fs.hash","args":{"path":"huge.bin"}})"));
  // One caller never takes every worker: another client's call answers
  // while the hog's hashes run.
  auto other = f.connect();
  auto small = other->request(
      R"({"type":"call_tool","id":"s","call_id":"s","tool":"fs.hash","args":{"path":"config/app.env"}})",
      "s", 30s);
  CHECK(test::type_of(small) == "tool_result");
  // A task runs beside them.
  auto started = other->request(
      R"({"type":"start","id":"a","task":"audit","params":{"path":"."}})", "a");
  CHECK(test::type_of(started) == "start_success");
  // Shutdown does not wait for the hashes.
  auto t0 = std::chrono::steady_clock::now();
  CHECK(f.server.terminate(20s) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < 15s);
}

// -- 4. Hostile file names
// -----------------------------------------------------

TEST_CASE("hostile file names: escaped, found again, never invalid UTF-8",
          "[security][names]") {
  sec_fixture f;
  auto bad_name = std::string{"\xff\xfe.txt"};
  {
    std::ofstream o{f.tree.root() / bad_name};
    o << "password = \"hunter2hunter2\"\n";
  }
  // The audit of "." completes and reports the file under its escaped name.
  auto c = f.connect();
  auto started = c->request(
      R"({"type":"start","id":"a","task":"audit","params":{"path":"."}})", "a");
  auto id = str(started, "task_id");
  auto end = c->read_until(
      [&](const rapidjson::Document& d) {
        auto t = test::type_of(d);
        return (t == "result" || t == "error") && str(d, "task_id") == id;
      },
      30s);
  REQUIRE(test::type_of(end) == "result");
  auto text = protocol::to_json(end["data"]);
  CHECK(text.find(R"(\\xff\\xfe.txt)") != std::string::npos);
  // fs.list over HTTP: valid JSON, the escaped form.
  auto listed = f.post("/api/tools/fs.list/call",
                       R"({"call_id":"l","args":{"path":"."}})");
  REQUIRE(listed.status == 200);
  auto doc = parse(listed.body);
  REQUIRE(doc.IsObject());
  CHECK(listed.body.find(R"(\\xff\\xfe.txt)") != std::string::npos);
  // The escaped form finds the file again.
  auto read = f.post("/api/tools/fs.read/call",
                     R"({"call_id":"r","args":{"path":"\\xff\\xfe.txt"}})");
  REQUIRE(read.status == 200);
  CHECK(read.body.find("hunter2") != std::string::npos);
  // An error naming such a file is valid JSON over HTTP and WebSocket.
  auto missing = f.post("/api/tools/fs.read/call",
                        R"({"call_id":"m","args":{"path":"\\xff\\xfd.txt"}})");
  CHECK(parse(missing.body).IsObject());
  CHECK(missing.body.find(R"(\\xff\\xfd.txt)") != std::string::npos);
  auto ws_err = c->request(
      R"({"type":"call_tool","id":"m","call_id":"m","tool":"fs.read","args":{"path":"\\xff\\xfd.txt"}})",
      "m");
  CHECK(test::type_of(ws_err) == "error");
  CHECK(c->is_open());
}
