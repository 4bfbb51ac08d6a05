#include <catch2/catch.hpp>

#include "actors/error.hpp"
#include "registry/tool_registry.hpp"
#include "tests/actors/actor_fixture.hpp"
#include "tools/worker_pool.hpp"
#include "tools/workspace.hpp"

using namespace switchboard;
using namespace switchboard::actors;
using protocol::error_code;

namespace {

tools::tool echo_tool(bool blocking) {
  tools::tool t;
  t.name = "test.echo";
  t.description = "Echoes its text argument.";
  t.schema = R"({"type":"object","properties":{"text":{"type":"string"}},)"
             R"("required":["text"],"additionalProperties":false})";
  t.blocking = blocking;
  t.run = [](const rapidjson::Value& args, const tools::workspace&,
             const tools::cancel_token&) {
    if (std::string_view{args["text"].GetString()} == "fail")
      return tools::outcome::fail(error_code::tool_failed, "asked to fail");
    return tools::outcome::ok(
        "{\"echo\":" + protocol::quote(args["text"].GetString()) + "}");
  };
  return t;
}

struct registry_fixture : test::actor_fixture {
  std::shared_ptr<const tools::workspace> ws;
  tool_registry_actor reg;

  registry_fixture() {
    auto opened =
        tools::workspace::open(std::filesystem::temp_directory_path());
    ws = std::make_shared<const tools::workspace>(
        std::get<tools::workspace>(std::move(opened)));
    registry::registry_setup setup;
    setup.tools = {echo_tool(true)};
    setup.node = "n1";
    setup.workspace = ws;
    // Zero threads: jobs run inline, answers still come back by message.
    setup.pool = std::make_shared<tools::worker_pool>(0, 16);
    reg = sys().spawn(registry::tool_registry, std::move(setup));
  }

  ~registry_fixture() {
    caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  }

  void call(const std::string& caller, const std::string& call_id,
            const std::string& tool, const std::string& args) {
    self()->send(reg, call_atom::value, caller, call_id, tool, args);
  }
};

error_code code_of(const caf::error& e) {
  return describe(e).code;
}

} // namespace

TEST_CASE_METHOD(registry_fixture, "registry lists its tools with their node",
                 "[registry]") {
  self()->send(reg, list_atom::value);
  run();
  auto tools = test::only<std::vector<protocol::tool_info>>(drain());
  REQUIRE(tools.size() == 1);
  CHECK(tools[0].name == "test.echo");
  CHECK(tools[0].node == "n1");
  CHECK(tools[0].schema.find("\"required\"") != std::string::npos);
}

TEST_CASE_METHOD(registry_fixture, "registry calls a tool and answers",
                 "[registry]") {
  call("s-1", "c1", "test.echo", R"({"text":"hi"})");
  run();
  CHECK(test::only<std::string>(drain()) == R"({"echo":"hi"})");
}

TEST_CASE_METHOD(registry_fixture, "registry refuses unknown tools",
                 "[registry]") {
  call("s-1", "c1", "no.such", "{}");
  run();
  CHECK(code_of(test::only<caf::error>(drain())) == error_code::unknown_tool);
}

TEST_CASE_METHOD(registry_fixture, "registry validates args against the schema",
                 "[registry]") {
  call("s-1", "c1", "test.echo", R"({"text":5})");
  run();
  auto err = test::only<caf::error>(drain());
  CHECK(code_of(err) == error_code::invalid_args);
  CHECK_FALSE(describe(err).message.empty());
  call("s-1", "c2", "test.echo", R"({"other":"x"})");
  run();
  CHECK(code_of(test::only<caf::error>(drain())) == error_code::invalid_args);
}

TEST_CASE_METHOD(registry_fixture, "registry reports a failing tool",
                 "[registry]") {
  call("s-1", "c1", "test.echo", R"({"text":"fail"})");
  run();
  auto err = test::only<caf::error>(drain());
  CHECK(code_of(err) == error_code::tool_failed);
  CHECK(describe(err).message == "asked to fail");
}

TEST_CASE_METHOD(registry_fixture,
                 "registry refuses a call id in flight and keeps the first",
                 "[registry]") {
  // Both calls are queued before the registry runs; the first one's answer
  // comes back by message after the second was looked at.
  call("s-1", "c1", "test.echo", R"({"text":"first"})");
  call("s-1", "c1", "test.echo", R"({"text":"second"})");
  // The same call id from another caller is independent.
  call("s-2", "c1", "test.echo", R"({"text":"other"})");
  run();
  auto rs = drain();
  std::vector<std::string> results;
  std::vector<error_code> errors;
  for (auto& r : rs) {
    if (auto* s = std::get_if<std::string>(&r))
      results.push_back(*s);
    else if (auto* e = std::get_if<caf::error>(&r))
      errors.push_back(code_of(*e));
  }
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == error_code::duplicate_call_id);
  std::sort(results.begin(), results.end());
  CHECK(results ==
        std::vector<std::string>{R"({"echo":"first"})", R"({"echo":"other"})"});
  // Once answered, the call id is free again.
  call("s-1", "c1", "test.echo", R"({"text":"again"})");
  run();
  CHECK(test::only<std::string>(drain()) == R"({"echo":"again"})");
}
