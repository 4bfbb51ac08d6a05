#include <atomic>
#include <chrono>
#include <thread>

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

namespace {

// A tool that spins until its token stops it, then waits for `release` so
// that its answer reaches the registry only when the test allows it (the
// test coordinator is not thread-safe).
struct spin_probe {
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  std::atomic<bool> release{false};
};

tools::tool spin_tool(std::shared_ptr<spin_probe> probe) {
  tools::tool t;
  t.name = "test.spin";
  t.description = "Spins until cancelled.";
  t.schema = R"({"type":"object"})";
  t.blocking = true;
  t.run = [probe](const rapidjson::Value&, const tools::workspace&,
                  const tools::cancel_token& token) {
    probe->started = true;
    while (!token.cancelled())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto out = token.stopped();
    probe->stopped = true;
    while (!probe->release)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return out;
  };
  return t;
}

template<class Predicate>
bool wait_until(Predicate p) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!p() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return p();
}

} // namespace

TEST_CASE("registry cancels a running call and its worker stops",
          "[registry][cancel]") {
  test::actor_fixture f;
  auto probe = std::make_shared<spin_probe>();
  auto pool = std::make_shared<tools::worker_pool>(1, 16);
  registry::registry_setup setup;
  setup.tools = {spin_tool(probe)};
  setup.workspace =
      std::make_shared<const tools::workspace>(std::get<tools::workspace>(
          tools::workspace::open(std::filesystem::temp_directory_path())));
  setup.pool = pool;
  auto reg = f.sys().spawn(registry::tool_registry, std::move(setup));
  f.self()->send(reg, call_atom::value, "s-1", "c1", "test.spin", "{}");
  f.run();
  REQUIRE(wait_until([&] { return probe->started.load(); }));
  f.self()->send(reg, cancel_atom::value, "s-1", "c1");
  f.run();
  auto err = test::only<caf::error>(f.drain());
  CHECK(code_of(err) == error_code::tool_failed);
  CHECK(describe(err).message == "the tool call was cancelled");
  CHECK(wait_until([&] { return probe->stopped.load(); }));
  probe->release = true;
  pool->stop();
  // The worker's late answer is dropped: nothing more arrives.
  f.run();
  CHECK(f.drain().empty());
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
}

TEST_CASE("registry stops a call at its deadline with tool_timeout",
          "[registry][cancel]") {
  test::actor_fixture f;
  auto probe = std::make_shared<spin_probe>();
  probe->release = true;
  auto pool = std::make_shared<tools::worker_pool>(1, 16);
  registry::registry_setup setup;
  setup.tools = {spin_tool(probe)};
  setup.workspace =
      std::make_shared<const tools::workspace>(std::get<tools::workspace>(
          tools::workspace::open(std::filesystem::temp_directory_path())));
  setup.pool = pool;
  setup.call_timeout = std::chrono::milliseconds(100);
  auto reg = f.sys().spawn(registry::tool_registry, std::move(setup));
  f.self()->send(reg, call_atom::value, "s-1", "c1", "test.spin", "{}");
  f.run();
  REQUIRE(wait_until([&] { return probe->stopped.load(); }));
  // Joining the worker makes sure its answer was sent.
  pool->stop();
  f.run();
  CHECK(code_of(test::only<caf::error>(f.drain())) == error_code::tool_timeout);
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
}
