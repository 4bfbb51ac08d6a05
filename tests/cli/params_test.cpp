// k=v conversion against JSON Schemas, and the other word conversions of
// switchboard-cli.
#include <catch2/catch.hpp>

#include "cli/commands.hpp"
#include "cli/connection.hpp"
#include "cli/exit_code.hpp"
#include "cli/params.hpp"

using namespace switchboard::cli;

namespace {

// The schemas the server's kinds and tools publish (flows/, tools/).
constexpr const char* ticker =
    R"({"type":"object","properties":{)"
    R"("steps":{"type":"integer","minimum":0,"maximum":1000000,"default":10},)"
    R"("interval_ms":{"type":"integer","minimum":0,"maximum":3600000}},)"
    R"("additionalProperties":false})";

constexpr const char* triage =
    R"({"type":"object","properties":{"path":{"type":"string"},)"
    R"("min_severity":{"type":"string","enum":["low","medium","high"]}},)"
    R"("additionalProperties":false})";

constexpr const char* mixed =
    R"({"type":"object","properties":{)"
    R"("recursive":{"type":"boolean"},"ratio":{"type":"number","minimum":0},)"
    R"("paths":{"type":"array","items":{"type":"string"}},)"
    R"("sizes":{"type":"array","items":{"type":"integer"}},)"
    R"("options":{"type":"object"},"level":{"type":["integer","null"]}}})";

std::string ok(const char* schema, std::vector<std::string> pairs) {
  auto c = convert_params(schema, pairs, "kind k");
  INFO(c.error);
  REQUIRE(c.ok);
  return c.json;
}

std::string error(const char* schema, std::vector<std::string> pairs) {
  auto c = convert_params(schema, pairs, "kind k");
  REQUIRE_FALSE(c.ok);
  return c.error;
}

using Catch::Matchers::Contains;

} // namespace

TEST_CASE("k=v integers are checked against type and range", "[cli][params]") {
  CHECK(ok(ticker, {"steps=5", "interval_ms=0"}) ==
        R"({"steps":5,"interval_ms":0})");
  CHECK(ok(ticker, {}) == "{}");
  CHECK(ok(ticker, {"steps=-0"}) == R"({"steps":0})");
  for (auto bad : {"steps=abc", "steps=1.5", "steps=", "steps=2000000",
                   "steps=-1", "steps=5x"}) {
    INFO(bad);
    auto e = error(ticker, {bad});
    CHECK_THAT(e, Contains("steps"));
    CHECK_THAT(e, Contains("an integer from 0 to 1000000"));
    CHECK_THAT(e, Contains(bad));
  }
}

TEST_CASE("k=v enums accept only their values and name them", "[cli][params]") {
  CHECK(ok(triage, {"min_severity=high", "path=src/a b"}) ==
        R"({"min_severity":"high","path":"src/a b"})");
  auto e = error(triage, {"min_severity=urgent"});
  CHECK_THAT(e, Contains("min_severity"));
  CHECK_THAT(e, Contains("one of low, medium, high"));
}

TEST_CASE("k=v booleans, numbers, arrays, objects and type lists",
          "[cli][params]") {
  CHECK(ok(mixed, {"recursive=yes"}) == R"({"recursive":true})");
  CHECK(ok(mixed, {"recursive=false"}) == R"({"recursive":false})");
  CHECK_THAT(error(mixed, {"recursive=maybe"}), Contains("true or false"));
  CHECK(ok(mixed, {"ratio=0.25"}) == R"({"ratio":0.25})");
  CHECK_THAT(error(mixed, {"ratio=nan"}), Contains("a number of at least 0"));
  CHECK_THAT(error(mixed, {"ratio=-1"}), Contains("ratio"));
  CHECK(ok(mixed, {"paths=a.txt,b.txt"}) == R"({"paths":["a.txt","b.txt"]})");
  CHECK(ok(mixed, {R"(paths=["x,y"])"}) == R"({"paths":["x,y"]})");
  CHECK(ok(mixed, {"sizes=1,2"}) == R"({"sizes":[1,2]})");
  CHECK_THAT(error(mixed, {"sizes=1,b"}), Contains("sizes"));
  CHECK(ok(mixed, {R"(options={"a":1})"}) == R"({"options":{"a":1}})");
  CHECK_THAT(error(mixed, {"options=[1]"}), Contains("a JSON object"));
  CHECK(ok(mixed, {"level=3"}) == R"({"level":3})");
}

TEST_CASE("k=v names outside a closed schema are refused with the list",
          "[cli][params]") {
  auto e = error(ticker, {"foo=1"});
  CHECK_THAT(e, Contains("kind k has no parameter foo"));
  CHECK_THAT(e, Contains("steps, interval_ms"));
  // An open schema takes other names as JSON, or else as strings.
  CHECK(ok(mixed, {"extra=1", "name=x y"}) == R"({"extra":1,"name":"x y"})");
}

TEST_CASE("words that are not k=v, and repeated names, are refused",
          "[cli][params]") {
  CHECK_THAT(error(ticker, {"steps"}), Contains("not key=value"));
  CHECK_THAT(error(ticker, {"=5"}), Contains("not key=value"));
  CHECK_THAT(error(ticker, {"steps=1", "steps=2"}), Contains("twice"));
  // The value may hold '='.
  CHECK(ok(triage, {"path=a=b"}) == R"({"path":"a=b"})");
}

TEST_CASE("params and args given as JSON must be objects", "[cli][params]") {
  CHECK(object_from_json(R"({"steps": 3})", "--params").json ==
        R"({"steps":3})");
  CHECK_THAT(object_from_json("[1]", "--params").error,
             Contains("must be a JSON object"));
  CHECK_THAT(object_from_json("{", "--params").error,
             Contains("not valid JSON"));
}

TEST_CASE("answer values are JSON when they parse, else strings",
          "[cli][params]") {
  CHECK(value_from_word("fix") == R"("fix")");
  CHECK(value_from_word(R"("fix")") == R"("fix")");
  CHECK(value_from_word("3") == "3");
  CHECK(value_from_word("true") == "true");
  CHECK(value_from_word(R"({"a": [1]})") == R"({"a":[1]})");
  CHECK(value_from_word("not json {") == R"("not json {")");
}

TEST_CASE("server URLs", "[cli][url]") {
  auto u = parse_server_url("http://127.0.0.1:8080");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == "8080");
  CHECK(u.authority == "127.0.0.1:8080");
  CHECK(u.prefix.empty());
  auto v = parse_server_url("http://[::1]:9000/sb/");
  CHECK(v.host == "::1");
  CHECK(v.port == "9000");
  CHECK(v.authority == "[::1]:9000");
  CHECK(v.prefix == "/sb");
  CHECK(parse_server_url("http://localhost").port == "80");
  for (auto bad : {"https://x:1", "ftp://x", "127.0.0.1:8080", "http://:80",
                   "http://x:8o", "http://[::1"}) {
    INFO(bad);
    try {
      parse_server_url(bad);
      FAIL("accepted");
    } catch (const failure& f) {
      CHECK(f.code() == exit_code::usage);
      CHECK_THAT(std::string{f.what()}, Contains(bad));
    }
  }
}

TEST_CASE("exit codes of error codes and states", "[cli][exit]") {
  for (auto code : {"unauthorized", "forbidden", "unknown_task",
                    "unknown_task_kind", "unknown_tool", "invalid_params",
                    "invalid_args", "invalid_input", "no_pending_input"})
    CHECK(exit_code_for_error(code) == exit_code::refused);
  CHECK(exit_code_for_error("tool_failed") == exit_code::failed);
  CHECK(exit_code_for_state("completed") == exit_code::ok);
  CHECK(exit_code_for_state("failed") == exit_code::failed);
  CHECK(exit_code_for_state("cancelled") == exit_code::stopped);
}
