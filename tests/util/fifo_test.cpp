#include <catch2/catch.hpp>

#include <string>

#include "util/fifo.hpp"

using switchboard::util::fifo;

TEST_CASE("fifo keeps order across pops, compaction and draining",
          "[util][fifo]") {
  fifo<std::string> q;
  CHECK(q.empty());
  int next_in = 0, next_out = 0;
  // Interleaved pushes and pops, past several compactions.
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 40; ++i)
      q.push_back(std::to_string(next_in++));
    for (int i = 0; i < 30; ++i) {
      REQUIRE(q.front() == std::to_string(next_out));
      q.pop_front();
      ++next_out;
    }
    REQUIRE(q.size() == static_cast<size_t>(next_in - next_out));
    CHECK(q[0] == std::to_string(next_out));
    CHECK(q.back() == std::to_string(next_in - 1));
  }
  int expect = next_out;
  for (auto& x : q)
    CHECK(x == std::to_string(expect++));
  while (!q.empty()) {
    CHECK(q.front() == std::to_string(next_out++));
    q.pop_front();
  }
  CHECK(next_out == next_in);
  q.push_back("a");
  q.push_back("b");
  q.pop_back();
  CHECK(q.size() == 1);
  CHECK(q.front() == "a");
  q.clear();
  CHECK(q.empty());
}
