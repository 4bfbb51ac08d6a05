// Kinds describe themselves in their params schemas: every property has a
// default and a description, and the defaults a start gets come from there.
#include <catch2/catch.hpp>

#include "flows/catalog.hpp"
#include "protocol/json.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tools/workspace.hpp"

using namespace switchboard;

TEST_CASE("every kind's params schema gives each property a default and a "
          "description",
          "[flows][kinds]") {
  for (auto& kind : flows::catalog()) {
    INFO("kind " << kind.name);
    rapidjson::Document schema;
    REQUIRE(protocol::parse_json(kind.params_schema, schema).code ==
            protocol::error_code::none);
    REQUIRE(schema["properties"].IsObject());
    for (auto& p : schema["properties"].GetObject()) {
      INFO("property " << p.name.GetString());
      CHECK(p.value.HasMember("default"));
      CHECK(p.value.HasMember("description"));
    }
  }
}

TEST_CASE("a start's params get the schema's defaults", "[flows][kinds]") {
  test::fixture_tree tree;
  auto ws = tools::workspace::open(tree.root());
  REQUIRE(std::holds_alternative<tools::workspace>(ws));
  auto& workspace = std::get<tools::workspace>(ws);
  std::string normalized;
  auto* triage = flows::find_kind("triage");
  REQUIRE(triage != nullptr);
  CHECK(flows::check_params(*triage, R"({"min_severity":"high"})", workspace,
                            normalized)
            .empty());
  rapidjson::Document doc;
  protocol::parse_json(normalized, doc);
  CHECK(std::string{doc["min_severity"].GetString()} == "high");
  CHECK(std::string{doc["path"].GetString()} == ".");
  CHECK(doc["input_timeout_ms"].GetInt64() == 300000);
  CHECK(doc["large_file_bytes"].GetInt64() == 10485760);
  // The kind's own check still runs on the filled-in params.
  CHECK_FALSE(
      flows::check_params(*triage, R"({"path":"../x"})", workspace, normalized)
          .empty());
}

TEST_CASE("a kind that cannot join the catalog says why", "[flows][kinds]") {
  flows::flow_kind k;
  k.name = "plugin.kind-1";
  k.params_schema = R"({"type":"object"})";
  k.run = [](flows::context&) -> flows::flow { co_return "{}"; };
  CHECK(flows::check_new_kind(k).empty());
  auto refused = [&](flows::flow_kind bad, const std::string& says) {
    INFO(says);
    CHECK(flows::check_new_kind(bad).find(says) != std::string::npos);
  };
  auto taken = k;
  taken.name = "ticker";
  refused(taken, "kind 'ticker' is taken by a built-in kind");
  for (std::string name : {std::string{}, std::string{"a b"},
                           std::string{"a/b"}, std::string(65, 'x')}) {
    auto bad_name = k;
    bad_name.name = name;
    refused(bad_name, "a kind's name has 1 to 64 letters");
  }
  auto no_run = k;
  no_run.run = nullptr;
  refused(no_run, "has no run function");
  auto bad_schema = k;
  bad_schema.params_schema = "[1]";
  refused(bad_schema, "its params schema does not compile: schema must be a "
                      "JSON object");
}
