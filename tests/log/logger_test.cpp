#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "log/logger.hpp"

using namespace switchboard;

TEST_CASE("log lines render as logfmt text or one JSON object", "[log]") {
  auto text =
      log::render(log::level::info, log::format::text, "connection closed",
                  {{"peer", "127.0.0.1:5"},
                   {"reason", "slow consumer"},
                   {"code", int64_t{1013}},
                   {"clean", false}});
  CHECK(text == "connection closed peer=127.0.0.1:5 reason=\"slow consumer\" "
                "code=1013 clean=false");
  auto json = log::render(log::level::warn, log::format::json, "task ended",
                          {{"state", "failed"}, {"note", "a \"quote\"\n"}});
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  REQUIRE(doc.IsObject());
  CHECK(std::string{doc["level"].GetString()} == "warn");
  CHECK(std::string{doc["msg"].GetString()} == "task ended");
  CHECK(std::string{doc["state"].GetString()} == "failed");
  CHECK(std::string{doc["note"].GetString()} == "a \"quote\"\n");
  CHECK(doc["ts"].IsInt64());
}

TEST_CASE("log levels and formats parse by name", "[log]") {
  CHECK(log::parse_level("debug") == log::level::debug);
  CHECK(log::parse_level("off") == log::level::off);
  CHECK_FALSE(log::parse_level("loud").has_value());
  CHECK(log::parse_format("json") == log::format::json);
  CHECK_FALSE(log::parse_format("xml").has_value());
}
