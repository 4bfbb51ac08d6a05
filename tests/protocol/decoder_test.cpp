#include <catch2/catch.hpp>

#include "protocol/decoder.hpp"

using namespace switchboard::protocol;

namespace {

command ok(std::string_view text) {
  auto r = decode(text);
  if (auto* e = std::get_if<decode_error>(&r))
    FAIL("unexpected error " << to_string(e->code) << ": " << e->message);
  return std::get<command>(r);
}

decode_error bad(std::string_view text) {
  auto r = decode(text);
  REQUIRE(std::holds_alternative<decode_error>(r));
  return std::get<decode_error>(r);
}

} // namespace

TEST_CASE("decoder accepts every client message", "[decoder]") {
  auto c =
      ok(R"({"type":"start","id":"a1","task":"audit","params":{"path":"."}})");
  CHECK(c.type == command_type::start);
  CHECK(c.id == R"("a1")");
  CHECK(c.task == "audit");
  CHECK(c.params == R"({"path":"."})");
  c = ok(R"({"type":"start","task":"ticker"})");
  CHECK(c.params == "{}");
  CHECK(c.id.empty());
  c = ok(R"({"type":"stop","id":7,"task_id":"t-1","reason":"done"})");
  CHECK(c.type == command_type::stop);
  CHECK(c.id == "7");
  CHECK(c.reason == "done");
  c = ok(
      R"({"type":"input","task_id":"t-1","request_id":"r-1","value":[1,{"a":null}]})");
  CHECK(c.value == R"([1,{"a":null}])");
  c = ok(R"({"type":"call_tool","call_id":"c1","tool":"fs.list","args":{}})");
  CHECK(c.type == command_type::call_tool);
  CHECK(c.args == "{}");
  c = ok(R"({"type":"subscribe","task_id":"t-1","after":12})");
  CHECK(c.after == 12);
  CHECK(ok(R"({"type":"subscribe","task_id":"t-1"})").after == 0);
  CHECK(ok(R"({"type":"unsubscribe","task_id":"t-1"})").type ==
        command_type::unsubscribe);
  CHECK(ok(R"({"type":"list_tools"})").type == command_type::list_tools);
  CHECK(ok(R"({"type":"list_tasks"})").type == command_type::list_tasks);
  CHECK(ok(R"({"type":"list_kinds"})").type == command_type::list_kinds);
  CHECK(ok(R"({"type":"ping","id":9007199254740991})").id ==
        "9007199254740991");
  CHECK(ok(R"({"type":"ping","id":-9007199254740991})").id ==
        "-9007199254740991");
  // Ids that would not come back byte for byte are refused.
  for (auto id : {"1.5", "1e3", "9007199254740992", "18446744073709551616",
                  "-0.0", "true", "null"}) {
    INFO(id);
    auto e = bad(std::string{R"({"type":"ping","id":)"} + id + "}");
    CHECK(e.code == error_code::bad_message);
    CHECK(e.id.empty());
  }
}

TEST_CASE("decoder refuses malformed messages with exact codes", "[decoder]") {
  CHECK(bad("{").code == error_code::bad_json);
  CHECK(bad("").code == error_code::bad_json);
  CHECK(bad("[1,2]").code == error_code::bad_message);
  CHECK(bad("42").code == error_code::bad_message);
  CHECK(bad(R"("ping")").code == error_code::bad_message);
  CHECK(bad("null").code == error_code::bad_message);
  CHECK(bad("{}").code == error_code::bad_message);
  CHECK(bad(R"({"type":5})").code == error_code::bad_message);
  CHECK(bad(R"({"type":"fly"})").code == error_code::unknown_type);
  CHECK(bad(R"({"type":"ping","id":{}})").code == error_code::bad_message);
  CHECK(bad(R"({"type":"ping"} trailing)").code == error_code::bad_json);
  CHECK(bad("{\"type\":\"ping\",\"x\":\"\xff\"}").code == error_code::bad_json);
}

TEST_CASE("decoder checks required fields and their types", "[decoder]") {
  auto e = bad(R"({"type":"start","id":"x"})");
  CHECK(e.code == error_code::bad_message);
  CHECK(e.id == R"("x")");
  CHECK(bad(R"({"type":"start","task":1})").code == error_code::bad_message);
  CHECK(bad(R"({"type":"start","task":"audit","params":[]})").code ==
        error_code::invalid_params);
  CHECK(bad(R"({"type":"stop"})").code == error_code::bad_message);
  CHECK(bad(R"({"type":"stop","task_id":"t","reason":1})").code ==
        error_code::bad_message);
  CHECK(bad(R"({"type":"input","task_id":"t","request_id":"r"})").code ==
        error_code::bad_message);
  CHECK(bad(R"({"type":"input","task_id":"t","value":1})").code ==
        error_code::bad_message);
  CHECK(bad(R"({"type":"call_tool","tool":"x","args":{}})").code ==
        error_code::bad_message);
  CHECK(bad(R"({"type":"call_tool","call_id":5,"tool":"x","args":{}})").code ==
        error_code::bad_message);
  CHECK(bad(R"({"type":"call_tool","call_id":"c","tool":"x","args":"no"})")
            .code == error_code::invalid_args);
  CHECK(bad(R"({"type":"call_tool","call_id":"c","tool":"x"})").code ==
        error_code::invalid_args);
  CHECK(bad(R"({"type":"subscribe","task_id":"t","after":-1})").code ==
        error_code::bad_message);
  CHECK(bad(R"({"type":"subscribe","task_id":"t","after":"3"})").code ==
        error_code::bad_message);
  CHECK(bad(R"({"type":"unsubscribe"})").code == error_code::bad_message);
}

TEST_CASE("decoder enforces size and depth limits", "[decoder]") {
  json_limits limits;
  limits.max_bytes = 64;
  auto r = decode(std::string(100, ' '), limits);
  CHECK(std::get<decode_error>(r).code == error_code::too_large);
  std::string deep = R"({"type":"ping","x":)" + std::string(64, '[') +
                     std::string(64, ']') + "}";
  CHECK(bad(deep).code == error_code::bad_json);
  std::string fine = R"({"type":"ping","x":)" + std::string(62, '[') +
                     std::string(62, ']') + "}";
  CHECK(ok(fine).type == command_type::ping);
}
