// The one list splitter: raw items for callers that judge each one, trimmed
// non-empty items for header values and options.
#include <catch2/catch.hpp>

#include "util/split.hpp"

using switchboard::util::split;
using switchboard::util::split_list;
using list = std::vector<std::string>;

TEST_CASE("split keeps every item as it is", "[util][split]") {
  CHECK(split("", ',') == list{""});
  CHECK(split("a", ',') == list{"a"});
  CHECK(split("a,,b ", ',') == list{"a", "", "b "});
  CHECK(split(",", ',') == list{"", ""});
}

TEST_CASE("split_list trims and drops empty items", "[util][split]") {
  CHECK(split_list("").empty());
  CHECK(split_list(" , ,\t").empty());
  CHECK(split_list("switchboard.v1, bearer.abc ,x") ==
        list{"switchboard.v1", "bearer.abc", "x"});
}
