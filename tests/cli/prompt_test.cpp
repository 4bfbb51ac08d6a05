// Unit tests of what a person types at a prompt, the `--answers` rules and
// the progress line's text.
#include <catch2/catch.hpp>

#include "cli/answers.hpp"
#include "cli/exit_code.hpp"
#include "cli/progress.hpp"
#include "cli/prompt.hpp"
#include "protocol/json.hpp"

using namespace switchboard;
using namespace switchboard::cli;

namespace {

rapidjson::Document doc(const char* text) {
  rapidjson::Document d;
  REQUIRE(protocol::parse_json(text, d).code == protocol::error_code::none);
  return d;
}

std::string typed(const char* schema, const std::string& text) {
  auto c = typed_answer(doc(schema), text);
  return c.ok ? c.json : "error: " + c.error;
}

} // namespace

TEST_CASE("typed answers are checked against the request's schema",
          "[cli][prompt]") {
  const char* choices = R"({"type":"string","enum":["fix","accept","no"]})";
  CHECK(typed(choices, "1") == R"("fix")");
  CHECK(typed(choices, " 3 ") == R"("no")");
  CHECK(typed(choices, "accept") == R"("accept")");
  CHECK(typed(choices, "4") == "error: pick a number from 1 to 3");
  CHECK(typed(choices, "0") == "error: pick a number from 1 to 3");
  CHECK(typed(choices, "maybe") == "error: expected one of fix, accept, no");

  const char* yes_no = R"({"type":"boolean"})";
  CHECK(typed(yes_no, "y") == "true");
  CHECK(typed(yes_no, "N") == "false");
  CHECK(typed(yes_no, "yes") == "true");
  CHECK(typed(yes_no, "perhaps") == "error: expected true or false");

  const char* count = R"({"type":"integer","minimum":1,"maximum":10})";
  CHECK(typed(count, "7") == "7");
  CHECK(typed(count, "11").rfind("error: expected an integer", 0) == 0);
  CHECK(typed(count, "x").rfind("error: expected an integer", 0) == 0);
  CHECK(typed(R"({"type":"number"})", "0.5") == "0.5");
  CHECK(typed(R"({"type":"string"})", "hello world") == R"("hello world")");
  // Numeric choices are values, not positions.
  CHECK(typed(R"({"enum":[10,20]})", "20") == "20");
}

TEST_CASE("an answers file picks by request id, context path, then *",
          "[cli][answers]") {
  auto book = answer_book::parse(
      R"({"r-9":"accept","finding.rule=private_key":"false_positive",)"
      R"("finding.severity=low":"skip","*":"first"})",
      "a.json");
  auto request = [](const char* id, const char* rule, const char* severity) {
    return doc((std::string{R"({"type":"input_request","request_id":")"} + id +
                R"(","schema":{"type":"string","enum":["fix","accept",)"
                R"("false_positive"]},"context":{"finding":{"rule":")" +
                rule + R"(","severity":")" + severity + R"("}}})")
                   .c_str());
  };
  CHECK(book.answer_for(request("r-9", "private_key", "high")) ==
        std::optional<std::string>{R"("accept")"});
  CHECK(book.answer_for(request("r-1", "private_key", "high")) ==
        std::optional<std::string>{R"("false_positive")"});
  CHECK(book.answer_for(request("r-2", "other", "low")) == std::nullopt);
  CHECK(book.answer_for(request("r-3", "other", "high")) ==
        std::optional<std::string>{R"("fix")"});

  // A literal value is sent as it is; no key, no answer.
  auto literal = answer_book::parse(R"({"index=2":{"a":1}})", "b.json");
  CHECK(literal.answer_for(
            doc(R"({"request_id":"r-1","context":{"index":2}})")) ==
        std::optional<std::string>{R"({"a":1})"});
  CHECK(literal.answer_for(doc(
            R"({"request_id":"r-1","context":{"index":1}})")) == std::nullopt);

  CHECK_THROWS_AS(answer_book::parse("[]", "c.json"), failure);
  CHECK_THROWS_AS(answer_book::parse("{", "c.json"), failure);
}

TEST_CASE("the progress line's text", "[cli][progress]") {
  using std::chrono::milliseconds;
  CHECK(progress_text(5, 10, "tick 5", 2.0, milliseconds(3000), 200) ==
        "[##########..........] 5/10  2.0/s  elapsed 0:03  ETA 0:02  tick 5");
  CHECK(progress_text(10, 10, "", 4.0, milliseconds(65000), 200) ==
        "[####################] 10/10  4.0/s  elapsed 1:05");
  CHECK(progress_text(3, 0, "", 0.0, milliseconds(0), 200) ==
        "step 3  0.0/s  elapsed 0:00");
  // Cut to one column short of the terminal.
  CHECK(
      progress_text(5, 10, "a long message", 2.0, milliseconds(0), 20).size() ==
      19);
}
