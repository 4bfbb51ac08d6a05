// A flows plugin for the tests: built as a MODULE library against the SDK
// headers only, loaded by the server with --flows.
#include "flows/registrar.hpp"

#include <chrono>
#include <string>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace {

using namespace switchboard;

std::string quoted(const std::string& text) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.String(text);
  return buf.GetString();
}

// Lists the workspace, asks whether to echo, and echoes.
flows::flow run_echo(flows::context& ctx) {
  std::string text = ctx.params()["text"].GetString();
  ctx.progress(1, 3, "listing");
  auto reply = co_await ctx.call_tool("fs.list", R"({"path":"."})");
  if (!reply.ok)
    throw flows::flow_failure{protocol::error_code::tool_failed,
                              "fs.list failed: " + reply.message};
  rapidjson::Document listing;
  listing.Parse(reply.result);
  auto entries = listing["entries"].Size();
  ctx.progress(2, 3, "asking");
  auto answer = co_await ctx.ask(
      "Echo " + text + "?", R"({"type":"string","enum":["yes","no"]})",
      std::chrono::seconds(30), R"({"text":)" + quoted(text) + "}");
  ctx.log("info", "answered " + answer);
  ctx.progress(3, 3, "done");
  co_return R"({"echo":)" + (answer == R"("yes")" ? quoted(text) : "null") +
      R"(,"entries":)" + std::to_string(entries) + "}";
}

// Fails at once: a flow_failure thrown in the plugin ends the task with it.
flows::flow run_fail(flows::context& ctx) {
  co_await ctx.sleep(std::chrono::milliseconds(1));
  throw flows::flow_failure{protocol::error_code::tool_failed,
                            "echo_fail always fails"};
}

} // namespace

SWITCHBOARD_FLOWS(r) {
  flows::flow_kind echo;
  echo.name = "echo";
  echo.description = "Lists the workspace, asks whether to echo a text, "
                     "echoes it.";
  echo.params_schema =
      R"({"type":"object","properties":{)"
      R"("text":{"type":"string","default":"hello",)"
      R"("description":"what to echo"}},"additionalProperties":false})";
  echo.check = [](rapidjson::Document& params, const tools::workspace&) {
    return std::string{params["text"].GetString()} == "forbidden"
               ? std::string{"text must not be 'forbidden'"}
               : std::string{};
  };
  echo.run = run_echo;
  r.add(std::move(echo));
  flows::flow_kind fail;
  fail.name = "echo_fail";
  fail.description = "Fails with tool_failed.";
  fail.params_schema = R"({"type":"object","properties":{}})";
  fail.run = run_fail;
  r.add(std::move(fail));
}
