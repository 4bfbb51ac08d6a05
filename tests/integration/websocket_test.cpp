// The WebSocket protocol against the real server binary on port 0.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "tests/support/fixture_tree.hpp"
#include "tests/support/json.hpp"
#include "tests/support/server_fixture.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/ws_client.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

using test::server_fixture;

using test::str;

// Sends `text` and expects an error reply with `code`; then checks that the
// connection still serves a ping.
void expect_error(test::ws_client& c, const std::string& text,
                  const std::string& code, const std::string& id = "e1") {
  auto reply = c.request(text, id);
  CHECK(test::type_of(reply) == "error");
  CHECK(str(reply, "code") == code);
  CHECK_FALSE(str(reply, "message").empty());
  auto pong = c.request(R"({"type":"ping","id":"p"})", "p");
  CHECK(test::type_of(pong) == "pong");
}

// Sends `text` that cannot carry a usable id and expects an error with `code`.
void expect_bare_error(test::ws_client& c, const std::string& text,
                       const std::string& code) {
  REQUIRE(c.send_text(text));
  auto reply = c.read_type("error");
  CHECK(str(reply, "code") == code);
  CHECK_FALSE(reply.HasMember("reply_to"));
  auto pong = c.request(R"({"type":"ping","id":"p"})", "p");
  CHECK(test::type_of(pong) == "pong");
}

} // namespace

TEST_CASE("hello greets every connection", "[ws]") {
  server_fixture f;
  test::ws_client c;
  REQUIRE(c.connect(f.server.port()));
  auto hello = c.read_json();
  CHECK(test::type_of(hello) == "hello");
  CHECK(hello["protocol"].GetInt() == 1);
  CHECK(str(hello, "session_id").rfind("s-", 0) == 0);
  CHECK(hello["heartbeat_ms"].GetInt() == 15000);
  CHECK(str(hello, "server").rfind("switchboard/", 0) == 0);
  test::ws_client c2;
  REQUIRE(c2.connect(f.server.port()));
  CHECK(str(c2.read_json(), "session_id") != str(hello, "session_id"));
}

TEST_CASE("heartbeats arrive every heartbeat-ms", "[ws]") {
  server_fixture f{{"--heartbeat-ms=100"}};
  test::ws_client c;
  REQUIRE(c.connect(f.server.port()));
  CHECK(c.read_json()["heartbeat_ms"].GetInt() == 100);
  auto hb1 = c.read_json(2s);
  CHECK(test::type_of(hb1) == "heartbeat");
  auto hb2 = c.read_json(2s);
  CHECK(test::type_of(hb2) == "heartbeat");
  CHECK(hb2["ts"].GetInt64() >= hb1["ts"].GetInt64());
}

TEST_CASE("ping answers pong with reply_to of either id kind", "[ws]") {
  server_fixture f;
  auto c = f.connect();
  auto pong = c->request(R"({"type":"ping","id":"abc"})", "abc");
  CHECK(test::type_of(pong) == "pong");
  CHECK(pong["ts"].IsInt64());
  REQUIRE(c->send_text(R"({"type":"ping","id":42})"));
  auto pong2 = c->read_type("pong");
  CHECK(pong2["reply_to"].GetInt() == 42);
}

TEST_CASE("malformed frames get exact errors and the connection stays",
          "[ws][errors]") {
  server_fixture f;
  auto c = f.connect();
  expect_bare_error(*c, "{not json", "bad_json");
  expect_bare_error(*c, "[1,2,3]", "bad_message");
  expect_bare_error(*c, "42", "bad_message");
  expect_bare_error(*c, R"("start")", "bad_message");
  expect_bare_error(*c, "{}", "bad_message");
  expect_error(*c, R"({"id":"e1"})", "bad_message");
  expect_error(*c, R"({"id":"e1","type":7})", "bad_message");
  expect_error(*c, R"({"id":"e1","type":"teleport"})", "unknown_type");
  std::string deep = R"({"id":"e1","type":"ping","x":)" + std::string(65, '[') +
                     std::string(65, ']') + "}";
  expect_bare_error(*c, deep, "bad_json");
  std::string ok_depth = R"({"id":"d","type":"ping","x":)" +
                         std::string(62, '[') + std::string(62, ']') + "}";
  CHECK(test::type_of(c->request(ok_depth, "d")) == "pong");
  REQUIRE(c->send_binary("\x01\x02"));
  auto err = c->read_type("error");
  CHECK(str(err, "code") == "bad_message");
  CHECK(test::type_of(c->request(R"({"type":"ping","id":"p"})", "p")) ==
        "pong");
}

TEST_CASE("missing and wrong-typed fields get their codes", "[ws][errors]") {
  server_fixture f;
  auto c = f.connect();
  expect_error(*c, R"({"id":"e1","type":"start"})", "bad_message");
  expect_error(*c, R"({"id":"e1","type":"start","task":3})", "bad_message");
  expect_error(*c, R"({"id":"e1","type":"start","task":"audit","params":[]})",
               "invalid_params");
  expect_error(*c, R"({"id":"e1","type":"stop"})", "bad_message");
  expect_error(*c, R"({"id":"e1","type":"input","task_id":"t-x"})",
               "bad_message");
  expect_error(*c,
               R"({"id":"e1","type":"call_tool","tool":"fs.list","args":{}})",
               "bad_message");
  expect_error(
      *c,
      R"({"id":"e1","type":"call_tool","call_id":"c","tool":"fs.list","args":1})",
      "invalid_args");
  expect_error(*c, R"({"id":"e1","type":"subscribe","task_id":"t","after":-3})",
               "bad_message");
  expect_error(*c, R"({"id":"e1","type":"unsubscribe"})", "bad_message");
}

TEST_CASE("unknown kinds, tasks, tools and bad params are refused",
          "[ws][errors]") {
  server_fixture f;
  auto c = f.connect();
  expect_error(*c, R"({"id":"e1","type":"start","task":"mine_bitcoin"})",
               "unknown_task_kind");
  for (auto path : {"../", "/etc", "nope/missing", "link_out"})
    expect_error(
        *c,
        std::string{
            R"({"id":"e1","type":"start","task":"audit","params":{"path":")"} +
            path + "\"}}",
        "invalid_params");
  expect_error(
      *c,
      R"({"id":"e1","type":"start","task":"ticker","params":{"steps":"many"}})",
      "invalid_params");
  // No task was created by any of these.
  auto tasks = c->request(R"({"type":"list_tasks","id":"l"})", "l");
  CHECK(tasks["tasks"].Size() == 0);
  expect_error(*c, R"({"id":"e1","type":"stop","task_id":"t-nope"})",
               "unknown_task");
  expect_error(*c, R"({"id":"e1","type":"subscribe","task_id":"t-nope"})",
               "unknown_task");
  expect_error(*c, R"({"id":"e1","type":"unsubscribe","task_id":"t-nope"})",
               "unknown_task");
  expect_error(
      *c,
      R"({"id":"e1","type":"input","task_id":"t-nope","request_id":"r-1","value":1})",
      "unknown_task");
  expect_error(
      *c,
      R"({"id":"e1","type":"call_tool","call_id":"c1","tool":"rm.rf","args":{}})",
      "unknown_tool");
  expect_error(
      *c,
      R"({"id":"e1","type":"call_tool","call_id":"c1","tool":"fs.list","args":{"path":3}})",
      "invalid_args");
  expect_error(
      *c,
      R"({"id":"e1","type":"call_tool","call_id":"c1","tool":"fs.read","args":{"path":"../../etc/passwd"}})",
      "invalid_args");
}

TEST_CASE("input without a pending request is refused", "[ws][errors]") {
  server_fixture f;
  auto c = f.connect();
  auto started = c->request(
      R"({"id":"s","type":"start","task":"ticker","params":{"steps":100,"interval_ms":1000}})",
      "s");
  auto id = str(started, "task_id");
  expect_error(*c,
               R"({"id":"e1","type":"input","task_id":")" + id +
                   R"(","request_id":"r-1","value":"fix"})",
               "no_pending_input");
}

TEST_CASE("messages over the limit get too_large and close 1009",
          "[ws][errors]") {
  server_fixture f{{"--max-message-bytes=4096"}};
  auto c = f.connect();
  std::string big =
      R"({"type":"ping","pad":")" + std::string(5000, 'x') + "\"}";
  REQUIRE(c->send_text(big));
  // The socket closes with 1009; an error frame may precede the close.
  for (int i = 0; i < 5 && c->is_open(); ++i)
    c->read_text(2s);
  CHECK_FALSE(c->is_open());
  CHECK(c->close_code() == 1009);
  // The server keeps serving others.
  auto c2 = f.connect();
  CHECK(test::type_of(c2->request(R"({"type":"ping","id":"p"})", "p")) ==
        "pong");
}

TEST_CASE("list_tools lists the built-in tools with schemas", "[ws][tools]") {
  server_fixture f;
  auto c = f.connect();
  REQUIRE(c->send_text(R"({"type":"list_tools","id":1})"));
  auto reply = c->read_type("tools");
  CHECK(reply["reply_to"].GetInt() == 1);
  std::vector<std::string> names;
  for (auto& t : reply["tools"].GetArray()) {
    names.push_back(t["name"].GetString());
    CHECK(t["schema"].IsObject());
    CHECK(std::string{t["schema"]["type"].GetString()} == "object");
    CHECK_FALSE(std::string{t["description"].GetString()}.empty());
    CHECK(std::string{t["node"].GetString()} == "local");
  }
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"fs.hash", "fs.list", "fs.read",
                                          "secrets.scan", "text.search"});
}

TEST_CASE("call_tool runs a tool and answers tool_result", "[ws][tools]") {
  server_fixture f;
  auto c = f.connect();
  auto reply = c->request(
      R"({"type":"call_tool","id":"h","call_id":"c1","tool":"fs.hash","args":{"path":"docs/readme.md"}})",
      "h");
  REQUIRE(test::type_of(reply) == "tool_result");
  CHECK(str(reply, "call_id") == "c1");
  CHECK(str(reply["result"], "sha256").size() == 64);
  CHECK(str(reply["result"], "path") == "docs/readme.md");
  auto list = c->request(
      R"({"type":"call_tool","id":"l","call_id":"c2","tool":"fs.list","args":{"path":".","recursive":true}})",
      "l");
  REQUIRE(test::type_of(list) == "tool_result");
  CHECK(list["result"]["entries"].Size() >= 8);
}

TEST_CASE("a call id in flight is refused and the first call completes",
          "[ws][tools]") {
  server_fixture f;
  {
    // A big file makes the first hash take long enough to overlap.
    std::ofstream big{f.tree.root() / "data" / "huge.bin", std::ios::binary};
    std::string chunk(1 << 20, 'z');
    for (int i = 0; i < 256; ++i)
      big << chunk;
  }
  auto c = f.connect();
  std::string call =
      R"({"type":"call_tool","id":"ID","call_id":"same","tool":"fs.hash","args":{"path":"data/huge.bin"}})";
  auto first = call;
  first.replace(first.find("ID"), 2, "first");
  auto second = call;
  second.replace(second.find("ID"), 2, "second");
  REQUIRE(c->send_text(first));
  REQUIRE(c->send_text(second));
  auto dup = c->read_until(
      [](const rapidjson::Document& d) {
        return d.HasMember("reply_to") && d["reply_to"] == "second";
      },
      10s);
  CHECK(test::type_of(dup) == "error");
  CHECK(str(dup, "code") == "duplicate_call_id");
  auto ok = c->read_until(
      [](const rapidjson::Document& d) {
        return d.HasMember("reply_to") && d["reply_to"] == "first";
      },
      30s);
  CHECK(test::type_of(ok) == "tool_result");
  CHECK(ok["result"]["size"].GetInt64() == 256LL << 20);
}

TEST_CASE("SIGTERM closes connections and exits 0", "[ws][lifecycle]") {
  server_fixture f;
  auto c = f.connect();
  CHECK(f.server.terminate() == 0);
  for (int i = 0; i < 5 && c->is_open(); ++i)
    c->read_text(2s);
  CHECK_FALSE(c->is_open());
}

namespace {

// Runs the binary with `args`, returning its exit code and all it printed.
std::pair<int, std::string> run_binary(const std::string& args) {
  std::string cmd = std::string{SWITCHBOARD_BINARY} + " " + args + " 2>&1";
  auto* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[256];
  while (auto n = fread(buf, 1, sizeof(buf), p))
    out.append(buf, n);
  auto status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

} // namespace

TEST_CASE("bad options and workspaces exit non-zero with one line",
          "[lifecycle]") {
  auto [code, out] = run_binary("--bogus=1");
  CHECK(code != 0);
  CHECK(out.find("unknown option 'bogus'") != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  std::tie(code, out) = run_binary("--port=99999");
  CHECK(code != 0);
  CHECK(out.find("port") != std::string::npos);
  std::tie(code, out) = run_binary("--port=0 --workspace=/no/such/dir");
  CHECK(code != 0);
  CHECK(out.find("/no/such/dir") != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  std::tie(code, out) = run_binary("--help");
  CHECK(code == 0);
  CHECK(out.find("--workspace") != std::string::npos);
}

TEST_CASE("a config file sets options and the command line wins",
          "[lifecycle]") {
  test::fixture_tree tree;
  auto path =
      tree.root().parent_path() / (tree.root().filename().string() + ".conf");
  {
    std::ofstream conf{path};
    conf << "# test config\nheartbeat-ms = 250\nworkspace = \""
         << tree.root().string() << "\"\n";
  }
  test::server_process server{{"--config-file=" + path.string()}};
  test::ws_client c;
  REQUIRE(c.connect(server.port()));
  CHECK(c.read_json()["heartbeat_ms"].GetInt() == 250);
  test::server_process server2{
      {"--config-file=" + path.string(), "--heartbeat-ms=300"}};
  test::ws_client c2;
  REQUIRE(c2.connect(server2.port()));
  CHECK(c2.read_json()["heartbeat_ms"].GetInt() == 300);
  std::filesystem::remove(path);
}

TEST_CASE("list_kinds lists the task kinds with their params schemas",
          "[ws][kinds]") {
  server_fixture f;
  auto c = f.connect();
  auto reply = c->request(R"({"type":"list_kinds","id":"k"})", "k");
  REQUIRE(test::type_of(reply) == "kinds");
  std::vector<std::string> names;
  for (auto& k : reply["kinds"].GetArray()) {
    names.push_back(k["name"].GetString());
    CHECK(k["params_schema"].IsObject());
    CHECK_FALSE(std::string{k["description"].GetString()}.empty());
  }
  CHECK(names == std::vector<std::string>{"audit", "triage", "ticker"});
  auto triage = reply["kinds"][1]["params_schema"]["properties"].GetObject();
  CHECK(triage.HasMember("min_severity"));
}
