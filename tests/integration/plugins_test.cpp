// Flows plugins (--flows) against the real server binary: a plugin's kinds
// run like built-in ones, and every faulty plugin stops the start with a
// message naming its file. The plugins are MODULE libraries of this build
// (tests/plugins/).
#include <catch2/catch.hpp>

#include <deque>
#include <filesystem>
#include <fstream>

#include "protocol/json.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/ws_client.hpp"

using namespace switchboard;
using namespace std::chrono_literals;
using test::parse;
using test::str;

namespace {

struct plugin_fixture {
  test::fixture_tree tree;
  test::server_process server{std::vector<std::string>{
      "--workspace=" + tree.root().string(), "--history=memory",
      std::string{"--flows="} + SWITCHBOARD_ECHO_FLOWS}};

  std::unique_ptr<test::ws_client> connect() {
    auto c = std::make_unique<test::ws_client>();
    REQUIRE(c->connect(server.port()));
    REQUIRE(test::type_of(c->read_json()) == "hello");
    return c;
  }
};

// The events of one task in seq order, read from a connection (including
// those a request on it skipped).
struct task_events {
  test::ws_client& c;
  std::string task_id;
  uint64_t next_seq = 1;
  std::vector<std::string> types;
  std::deque<std::string> pending;

  task_events(test::ws_client& client, std::string id)
      : c(client), task_id(std::move(id)) {}

  bool mine(const rapidjson::Document& d) const {
    return d.IsObject() && d.HasMember("seq") && !d.HasMember("reply_to") &&
           test::text_of(d, "task_id") == task_id;
  }

  // Returns the next event of the task.
  rapidjson::Document next() {
    for (;;) {
      for (auto& text : c.skipped())
        pending.push_back(text);
      c.clear_skipped();
      while (!pending.empty()) {
        auto d = parse(pending.front());
        pending.pop_front();
        if (mine(d))
          return take(std::move(d));
      }
      auto d = c.read_until([&](auto& m) { return mine(m); }, 10s);
      pending.clear();
      for (auto& text : c.skipped())
        REQUIRE_FALSE(mine(parse(text)));
      c.clear_skipped();
      return take(std::move(d));
    }
  }

  rapidjson::Document take(rapidjson::Document d) {
    REQUIRE(d["seq"].GetUint64() == next_seq);
    ++next_seq;
    types.push_back(str(d, "type"));
    return d;
  }

  // Returns the next event of `type`, checking the types on the way.
  rapidjson::Document until(const std::string& type) {
    for (;;) {
      auto d = next();
      if (types.back() == type)
        return d;
      INFO("before " << type << ": " << types.back());
      REQUIRE((types.back() != "result" && types.back() != "error" &&
               types.back() != "stopped"));
    }
  }
};

std::string start_msg(const std::string& id, const std::string& kind,
                      const std::string& params) {
  return R"({"type":"start","id":")" + id + R"(","task":")" + kind +
         R"(","params":)" + params + "}";
}

} // namespace

TEST_CASE("a plugin's kind runs end to end over WebSocket",
          "[plugins][flows]") {
  plugin_fixture f;
  // Listed beside the built-in kinds, with its schema.
  auto kinds = parse(test::request(f.server.port(), "GET", "/api/kinds").body);
  std::vector<std::string> names;
  for (auto& k : kinds["kinds"].GetArray())
    names.push_back(str(k, "name"));
  CHECK(names == std::vector<std::string>{"audit", "triage", "ticker", "echo",
                                          "echo_fail"});
  auto c = f.connect();
  auto ok = c->request(start_msg("s", "echo", R"({"text":"hi"})"), "s");
  REQUIRE(test::type_of(ok) == "start_success");
  task_events log{*c, str(ok, "task_id")};
  auto started = log.next();
  CHECK(str(started, "type") == "started");
  CHECK(str(started["params"], "text") == "hi");
  auto call = log.until("tool_call");
  CHECK(str(call, "tool") == "fs.list");
  auto listed = log.next();
  CHECK(str(listed, "type") == "tool_result");
  CHECK(listed["ok"].GetBool());
  auto req = log.until("input_request");
  CHECK(str(req, "prompt") == "Echo hi?");
  CHECK(str(req["context"], "text") == "hi");
  auto answer = c->request(R"({"type":"input","id":"i","task_id":")" +
                               log.task_id + R"(","request_id":")" +
                               str(req, "request_id") + R"(","value":"yes"})",
                           "i");
  CHECK(test::type_of(answer) == "input_success");
  auto result = log.until("result");
  CHECK(str(result["data"], "echo") == "hi");
  size_t entries = 0;
  for ([[maybe_unused]] auto& e :
       std::filesystem::directory_iterator{f.tree.root()})
    ++entries;
  CHECK(result["data"]["entries"].GetUint64() == entries);
  CHECK(log.types == std::vector<std::string>{
                         "started", "progress", "tool_call", "tool_result",
                         "progress", "input_request", "input_received", "log",
                         "progress", "result"});
}

TEST_CASE("a plugin's check and failures reach the client",
          "[plugins][flows]") {
  plugin_fixture f;
  auto c = f.connect();
  // The kind's own check refuses the start.
  auto refused =
      c->request(start_msg("s1", "echo", R"({"text":"forbidden"})"), "s1");
  CHECK(str(refused, "code") == "invalid_params");
  CHECK(str(refused, "message").find("forbidden") != std::string::npos);
  // So does its schema.
  auto bad = c->request(start_msg("s2", "echo", R"({"text":1})"), "s2");
  CHECK(str(bad, "code") == "invalid_params");
  // A flow_failure thrown in the plugin ends the task with its code.
  auto ok = c->request(start_msg("s3", "echo_fail", "{}"), "s3");
  REQUIRE(test::type_of(ok) == "start_success");
  task_events log{*c, str(ok, "task_id")};
  auto err = log.until("error");
  CHECK(str(err, "code") == "tool_failed");
  CHECK(str(err, "message") == "echo_fail always fails");
  // A plugin's task stops like any other.
  auto asking = c->request(start_msg("s4", "echo", "{}"), "s4");
  REQUIRE(test::type_of(asking) == "start_success");
  task_events waiting{*c, str(asking, "task_id")};
  waiting.until("input_request");
  auto stop = c->request(R"({"type":"stop","id":"x","task_id":")" +
                             waiting.task_id + R"("})",
                         "x");
  CHECK(test::type_of(stop) == "stop_success");
  waiting.until("stopped");
}

TEST_CASE("a faulty flows plugin stops the start with a message naming it",
          "[plugins]") {
  auto refused = [](std::string flows, const std::string& names,
                    const std::string& says) {
    INFO(flows << ": " << says);
    auto [rc, out] =
        test::run_to_exit({"--port=0", "--history=memory", "--flows=" + flows});
    CHECK(rc == 1);
    // One line, naming the file, before anything listens.
    CHECK(out.find("switchboard: --flows: " + names + ": ") !=
          std::string::npos);
    CHECK(out.find(says) != std::string::npos);
    CHECK(out.find("listening on") == std::string::npos);
  };
  std::string echo = SWITCHBOARD_ECHO_FLOWS;
  refused("/nonexistent/flows.so", "/nonexistent/flows.so", "cannot load it: ");
  // A file that is not a shared library.
  refused(SWITCHBOARD_SOURCE_DIR "/README.md",
          SWITCHBOARD_SOURCE_DIR "/README.md", "cannot load it: ");
  refused(SWITCHBOARD_NO_ENTRY_FLOWS, SWITCHBOARD_NO_ENTRY_FLOWS,
          "no entry point switchboard_flows_register");
  refused(SWITCHBOARD_OTHER_VERSION_FLOWS, SWITCHBOARD_OTHER_VERSION_FLOWS,
          "built against flows SDK version 999, this server runs version 1");
  refused(SWITCHBOARD_TAKEN_NAME_FLOWS, SWITCHBOARD_TAKEN_NAME_FLOWS,
          "kind 'audit' is taken by a built-in kind");
  refused(SWITCHBOARD_BAD_SCHEMA_FLOWS, SWITCHBOARD_BAD_SCHEMA_FLOWS,
          "kind 'bad_schema': its params schema does not compile: ");
  // The same kinds from two libraries (here the same one twice): the second
  // is named, and the message says who has the name.
  refused(echo + "," + echo, echo, "kind 'echo' is taken by " + echo);
  // A good plugin before a faulty one does not start half-configured.
  refused(echo + "," + SWITCHBOARD_BAD_SCHEMA_FLOWS,
          SWITCHBOARD_BAD_SCHEMA_FLOWS, "does not compile");
}

TEST_CASE("a config file's flows line loads plugins too", "[plugins]") {
  test::temp_dir dir;
  auto conf = dir.path() / "switchboard.conf";
  {
    std::ofstream out{conf};
    out << "flows = " << SWITCHBOARD_NO_ENTRY_FLOWS << "\n";
  }
  auto [rc, out] = test::run_to_exit(
      {"--port=0", "--history=memory", "--config-file=" + conf.string()});
  CHECK(rc == 1);
  CHECK(out.find(std::string{"--flows: "} + SWITCHBOARD_NO_ENTRY_FLOWS) !=
        std::string::npos);
}
