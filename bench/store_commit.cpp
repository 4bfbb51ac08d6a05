// Times the history's commits alone, without actors or sockets: a task's
// first commit (record, `started`, one `progress`) and its last (record
// update, `result`), 5,000 tasks one after another, as in the latency bench.
//
//   g++ -std=c++20 -O2 -I. bench/store_commit.cpp build-bench/libsb_store.a \
//     -lsqlite3 -lcaf_core -o /tmp/store_commit && /tmp/store_commit DIR
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "store/database.hpp"

using namespace switchboard::store;

namespace {

void report(const char* what, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  std::printf("%s: p50 %.1f us, p90 %.1f us, p99 %.1f us\n", what,
              us[us.size() / 2], us[us.size() * 9 / 10],
              us[us.size() * 99 / 100]);
}

} // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir = argc > 1 ? argv[1] : "/tmp/sb-store-commit";
  std::filesystem::remove_all(dir);
  auto opened = database::open(dir);
  if (auto* err = std::get_if<std::string>(&opened)) {
    std::fprintf(stderr, "%s\n", err->c_str());
    return 1;
  }
  auto db = std::move(std::get<std::unique_ptr<database>>(opened));
  std::vector<double> first, last;
  auto us = [](auto d) {
    return std::chrono::duration<double, std::micro>(d).count();
  };
  for (int i = 0; i < 5000; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "t-%032x", i * 7919);
    task_row row{id,      "ticker", R"({"steps":1,"interval_ms":0})",
                 "",      "local",  "running",
                 1000 + i, 0,       2};
    batch a;
    a.tasks.push_back(row);
    a.add(id, 1, "started", std::string(150, 'x'));
    a.add(id, 2, "progress", std::string(130, 'y'));
    auto t0 = std::chrono::steady_clock::now();
    db->write(a);
    auto t1 = std::chrono::steady_clock::now();
    row.state = "completed";
    row.ended_ms = 2000 + i;
    row.last_seq = 3;
    row.outcome = R"({"steps":1})";
    batch b;
    b.tasks.push_back(row);
    b.add(id, 3, "result", std::string(100, 'z'));
    db->write(b);
    auto t2 = std::chrono::steady_clock::now();
    first.push_back(us(t1 - t0));
    last.push_back(us(t2 - t1));
  }
  report("first commit of a task", first);
  report("last commit of a task", last);
  std::filesystem::remove_all(dir);
}
