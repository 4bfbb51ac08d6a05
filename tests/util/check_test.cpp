// Internal contracts are checked in every build, RapidJSON's included.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "util/check.hpp"

using switchboard::util::contract_violation;

TEST_CASE("a broken contract throws, naming the condition", "[util][check]") {
  CHECK_NOTHROW(SB_CHECK(1 + 1 == 2));
  try {
    SB_CHECK(1 + 1 == 3);
    FAIL("SB_CHECK did not throw");
  } catch (const contract_violation& e) {
    CHECK(std::string{e.what()}.find("1 + 1 == 3") != std::string::npos);
  }
}

TEST_CASE("RapidJSON's preconditions are checked in release builds too",
          "[util][check]") {
  rapidjson::Document doc;
  doc.Parse(R"({"n":5})");
  REQUIRE(doc.IsObject());
  // Reading a number as a string is a bug of ours, not undefined behaviour.
  CHECK_THROWS_AS(doc["n"].GetString(), contract_violation);
  // So is reading a member of something that is not an object.
  CHECK_THROWS_AS(doc["n"].FindMember("x"), contract_violation);
}
