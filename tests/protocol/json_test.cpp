#include "protocol/json.hpp"

#include <string>

#include <catch2/catch.hpp>

using namespace switchboard::protocol;

namespace {

std::string nested(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

} // namespace

TEST_CASE("parse_json accepts a valid object", "[json]") {
  rapidjson::Document doc;
  auto st = parse_json(R"({"type":"ping","id":7,"list":[1,"x",null]})", doc);
  REQUIRE(st.code == error_code::none);
  CHECK(st.message.empty());
  REQUIRE(doc.IsObject());
  CHECK(std::string{doc["type"].GetString()} == "ping");
  CHECK(doc["id"].GetInt() == 7);
  CHECK(doc["list"].Size() == 3);
  CHECK(to_json(doc) == R"({"type":"ping","id":7,"list":[1,"x",null]})");
}

TEST_CASE("parse_json refuses invalid JSON", "[json]") {
  rapidjson::Document doc;
  for (auto text : {"{", "{\"a\":}", "nope", "", "{'a':1}", "[1,]"}) {
    auto st = parse_json(text, doc);
    INFO(text);
    CHECK(st.code == error_code::bad_json);
    CHECK_FALSE(st.message.empty());
  }
}

TEST_CASE("parse_json allows depth 64 and refuses depth 65", "[json]") {
  rapidjson::Document doc;
  CHECK(parse_json(nested(64), doc).code == error_code::none);
  CHECK(doc.IsArray());
  auto st = parse_json(nested(65), doc);
  CHECK(st.code == error_code::bad_json);
  CHECK(st.message == "JSON nesting deeper than 64");
  std::string objects;
  for (int i = 0; i < 65; ++i)
    objects += "{\"a\":";
  objects += "1" + std::string(65, '}');
  CHECK(parse_json(objects, doc).code == error_code::bad_json);
}

TEST_CASE("parse_json survives 100000 levels of nesting", "[json]") {
  rapidjson::Document doc;
  auto st = parse_json(nested(100000), doc, {10 * 1024 * 1024, 64});
  CHECK(st.code == error_code::bad_json);
  // Unclosed nesting too.
  st = parse_json(std::string(100000, '['), doc, {10 * 1024 * 1024, 64});
  CHECK(st.code == error_code::bad_json);
}

TEST_CASE("parse_json refuses invalid UTF-8", "[json]") {
  rapidjson::Document doc;
  CHECK(parse_json("{\"a\":\"\xff\xfe\"}", doc).code == error_code::bad_json);
  CHECK(parse_json("\"\xc3\x28\"", doc).code == error_code::bad_json);
  // Valid multi-byte UTF-8 passes.
  REQUIRE(parse_json("\"gr\xc3\xbc\xc3\x9f\"", doc).code == error_code::none);
  CHECK(doc.GetStringLength() == 6);
}

TEST_CASE("parse_json refuses lone surrogate escapes", "[json]") {
  // Found by fuzz/decoder_fuzz: RapidJSON decodes a lone low surrogate into
  // bytes that are not UTF-8, which to_json would then send to clients.
  rapidjson::Document doc;
  CHECK(parse_json(R"("\udc00")", doc).code == error_code::bad_json);
  CHECK(parse_json(R"({"\ude00":1})", doc).code == error_code::bad_json);
  CHECK(parse_json(R"({"a":["x\udfffy"]})", doc).code == error_code::bad_json);
  CHECK(parse_json(R"("\ud800")", doc).code == error_code::bad_json);
  // A surrogate pair is one code point and fine; so are U+D7FF and U+E000.
  REQUIRE(parse_json(R"("\ud83d\ude00 \ud7ff \ue000")", doc).code ==
          error_code::none);
  CHECK(to_json(doc) == "\"\xf0\x9f\x98\x80 \xed\x9f\xbf \xee\x80\x80\"");
}

TEST_CASE("parse_json refuses numbers that overflow a double", "[json]") {
  // Found by fuzz/decoder_fuzz: RapidJSON parsed this as infinity, and
  // to_json then wrote truncated JSON.
  rapidjson::Document doc;
  auto big = "1" + std::string(90, '8') + "e300";
  CHECK(parse_json(big, doc).code == error_code::bad_json);
  CHECK(parse_json(R"({"n":[-)" + big + "]}", doc).code ==
        error_code::bad_json);
  CHECK(parse_json("1e400", doc).code == error_code::bad_json);
  REQUIRE(parse_json("1.5e308", doc).code == error_code::none);
  CHECK(to_json(doc) == "1.5e308");
}

TEST_CASE("parse_json refuses text over max_bytes", "[json]") {
  rapidjson::Document doc;
  json_limits limits{16, 64};
  CHECK(parse_json(R"({"a":"12345678"})", doc, limits).code ==
        error_code::none);
  auto st = parse_json(R"({"a":"123456789"})", doc, limits);
  CHECK(st.code == error_code::too_large);
  CHECK(st.message == "message of 17 bytes exceeds the limit of 16");
}

TEST_CASE("parse_json refuses trailing garbage", "[json]") {
  rapidjson::Document doc;
  CHECK(parse_json("{\"a\":1} x", doc).code == error_code::bad_json);
  CHECK(parse_json("{}{}", doc).code == error_code::bad_json);
  CHECK(parse_json("1 2", doc).code == error_code::bad_json);
  // Trailing whitespace is fine.
  CHECK(parse_json("{\"a\":1} \r\n\t", doc).code == error_code::none);
}
