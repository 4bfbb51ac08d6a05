#include "protocol/schema.hpp"

#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/json.hpp"

using namespace switchboard::protocol;

namespace {

schema compiled(std::string_view text) {
  auto s = schema::compile(text);
  if (auto* err = std::get_if<std::string>(&s))
    FAIL("schema does not compile: " << *err);
  return std::get<schema>(std::move(s));
}

std::string check(const schema& s, std::string_view json) {
  rapidjson::Document doc;
  auto st = parse_json(json, doc);
  REQUIRE(st.code == error_code::none);
  return s.validate(doc);
}

constexpr std::string_view args_schema =
    R"({"type":"object","properties":{)"
    R"("path":{"type":"string","minLength":1,"maxLength":8},)"
    R"("count":{"type":"integer","minimum":1,"maximum":10},)"
    R"("value":{"enum":["fix","accept"]},)"
    R"("tags":{"type":"array","items":{"type":"string"},"maxItems":2},)"
    R"("id":{"type":"string","pattern":"^[a-z]+$"}},)"
    R"("required":["path"],"additionalProperties":false})";

} // namespace

TEST_CASE("schema accepts valid values", "[schema]") {
  auto s = compiled(args_schema);
  CHECK(check(s, R"({"path":"a"})") == "");
  CHECK(check(s, R"({"path":"a","count":10,"value":"fix","tags":["x"]})") ==
        "");
  CHECK(check(s, R"({"path":"a","id":"abc"})") == "");
  CHECK(s.text() == args_schema);
}

TEST_CASE("schema reasons name the keyword and the location", "[schema]") {
  auto s = compiled(args_schema);
  CHECK(check(s, R"({"path":"a","value":"maybe"})") ==
        "/value: does not match enum");
  CHECK(check(s, R"({})") == "/: lacks required property \"path\"");
  CHECK(check(s, R"({"path":1})") == "/path: does not match type string");
  CHECK(check(s, R"([])") == "/: does not match type object");
  CHECK(check(s, R"({"path":"a","count":0})") == "/count: is below minimum 1");
  CHECK(check(s, R"({"path":"a","count":11})") ==
        "/count: is above maximum 10");
  CHECK(check(s, R"({"path":"a","count":1.5})") ==
        "/count: does not match type integer");
  CHECK(check(s, R"({"path":""})") == "/path: is shorter than minLength 1");
  CHECK(check(s, R"({"path":"123456789"})") ==
        "/path: is longer than maxLength 8");
  CHECK(check(s, R"({"path":"a","tags":["x",2]})") ==
        "/tags/1: does not match type string");
  CHECK(check(s, R"({"path":"a","tags":["x","y","z"]})") ==
        "/tags: is longer than maxItems 2");
  CHECK(check(s, R"({"path":"a","extra":true})") ==
        "/extra: is not allowed by additionalProperties");
  CHECK(check(s, R"({"path":"a","id":"ABC"})") ==
        "/id: does not match pattern \"^[a-z]+$\"");
}

TEST_CASE("schema oneOf requires exactly one alternative", "[schema]") {
  auto s = compiled(R"({"type":"object","oneOf":[)"
                    R"({"required":["path"]},{"required":["paths"]}]})");
  CHECK(check(s, R"({"path":"a"})") == "");
  CHECK(check(s, R"({"paths":["a"]})") == "");
  CHECK(check(s, R"({"path":"a","paths":["a"]})") ==
        "/: does not match exactly one schema of oneOf");
  CHECK(check(s, R"({})") == "/: does not match exactly one schema of oneOf");
}

TEST_CASE("schema compile refuses bad text", "[schema]") {
  auto bad = schema::compile("{\"type\":");
  REQUIRE(std::holds_alternative<std::string>(bad));
  CHECK(std::get<std::string>(bad).rfind("schema is not valid JSON: ", 0) == 0);
  auto not_object = schema::compile("[1]");
  REQUIRE(std::holds_alternative<std::string>(not_object));
  CHECK(std::get<std::string>(not_object) == "schema must be a JSON object");
}

TEST_CASE("schema copies share the compiled schema", "[schema]") {
  auto s = compiled(R"({"type":"string"})");
  schema copy = s;
  CHECK(&copy.text() == &s.text());
  CHECK(check(copy, R"("x")") == "");
  CHECK(check(copy, "1") == "/: does not match type string");
}

TEST_CASE("schema validates from several threads at once", "[schema]") {
  auto s = compiled(R"({"type":"object","properties":{)"
                    R"("id":{"type":"string","pattern":"^[a-z]+$"}}})");
  rapidjson::Document good;
  rapidjson::Document bad;
  REQUIRE(parse_json(R"({"id":"abcdef"})", good).code == error_code::none);
  REQUIRE(parse_json(R"({"id":"abc1"})", bad).code == error_code::none);
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < wrong.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (!s.validate(good).empty())
          ++wrong[t];
        if (s.validate(bad) != "/id: does not match pattern \"^[a-z]+$\"")
          ++wrong[t];
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(wrong == std::vector<int>(4, 0));
}
