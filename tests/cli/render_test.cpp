// The human-readable lines of switchboard-cli.
#include <catch2/catch.hpp>

#include "cli/render.hpp"
#include "protocol/json.hpp"

using namespace switchboard;
using Catch::Matchers::Contains;

namespace {

std::string line(const char* json, bool color = false) {
  rapidjson::Document doc;
  protocol::parse_json(json, doc);
  return cli::event_line(doc, color);
}

} // namespace

TEST_CASE("each event type is one plain line", "[cli][render]") {
  CHECK(line(R"({"type":"started","seq":1,"task":"ticker","params":{}})") ==
        "#1 started ticker {}");
  CHECK(line(R"({"type":"progress","seq":2,"step":1,"total":3,)"
             R"("message":"tick 1"})") == "#2 progress 1/3 tick 1");
  CHECK(line(R"({"type":"progress","seq":2,"step":0,"total":null,)"
             R"("message":"listing"})") == "#2 progress 0 listing");
  CHECK(line(R"({"type":"log","seq":3,"level":"warn","message":"m"})") ==
        "#3 log warn: m");
  CHECK(line(R"({"type":"tool_call","seq":4,"call_id":"c1","tool":"fs.hash",)"
             R"("args":{"path":"a"}})") ==
        R"(#4 tool_call c1 fs.hash {"path":"a"})");
  CHECK(line(R"({"type":"tool_result","seq":5,"call_id":"c1","ok":true})") ==
        "#5 tool_result c1 ok");
  CHECK_THAT(line(R"({"type":"input_request","seq":6,"task_id":"t-1",)"
                  R"("request_id":"r-1","prompt":"Fix?"})"),
             Contains("answer t-1 r-1 VALUE"));
  CHECK(line(R"({"type":"input_received","seq":7,"request_id":"r-1",)"
             R"("value":"fix"})") == "#7 input_received r-1 fix");
  CHECK(line(R"({"type":"result","seq":8,"data":{"steps":3}})") ==
        R"(#8 completed {"steps":3})");
  CHECK(line(R"({"type":"error","seq":8,"code":"timeout","message":"m"})") ==
        "#8 failed timeout: m");
  CHECK(line(R"({"type":"stopped","seq":8,"reason":"enough"})") ==
        "#8 stopped: enough");
}

TEST_CASE("colour marks terminal events only when asked", "[cli][render]") {
  auto plain = line(R"({"type":"result","seq":8,"data":{}})");
  auto color = line(R"({"type":"result","seq":8,"data":{}})", true);
  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK(color == "\x1b[32m" + plain + "\x1b[0m");
}
