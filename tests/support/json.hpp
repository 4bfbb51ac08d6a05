#pragma once

#include <string>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "protocol/json.hpp"

namespace switchboard::test {

/// Parses `text` (a message or a response body); an unparsable text gives
/// a document that is not an object.
inline rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  protocol::parse_json(text, doc);
  return doc;
}

/// Returns string field `key` of `v`; fails the test when it is missing or
/// not a string.
inline std::string str(const rapidjson::Value& v, const char* key) {
  REQUIRE(v.IsObject());
  REQUIRE(v.HasMember(key));
  REQUIRE(v[key].IsString());
  return v[key].GetString();
}

/// Returns string field `key` of `v`, or "" when there is none: for
/// predicates that look at every message, whatever its type.
inline std::string text_of(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsString()
             ? v[key].GetString()
             : "";
}

} // namespace switchboard::test
