#include "tools/workspace.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/fixture_tree.hpp"
#include "tools/names.hpp"
#include "tools/worker_pool.hpp"

namespace fs = std::filesystem;
using switchboard::test::fixture_tree;
using switchboard::tools::workspace;

namespace {

workspace open_ws(const fs::path& root) {
  auto ws = workspace::open(root);
  if (auto* err = std::get_if<std::string>(&ws))
    FAIL("cannot open workspace: " << *err);
  return std::get<workspace>(std::move(ws));
}

std::string refusal(const workspace& ws, std::string_view rel) {
  auto r = ws.resolve(rel);
  if (auto* p = std::get_if<fs::path>(&r))
    return "resolved to " + p->string();
  return std::get<std::string>(r);
}

fs::path resolved(const workspace& ws, std::string_view rel) {
  auto r = ws.resolve(rel);
  if (auto* err = std::get_if<std::string>(&r))
    FAIL("refused " << rel << ": " << *err);
  return std::get<fs::path>(r);
}

} // namespace

TEST_CASE("workspace open canonicalizes the root", "[workspace]") {
  fixture_tree tree;
  auto ws = open_ws(tree.root() / "src" / ".." / ".");
  CHECK(ws.root() == tree.root());
}

TEST_CASE("workspace open refuses bad roots", "[workspace]") {
  fixture_tree tree;
  auto missing = workspace::open(tree.root() / "nope");
  REQUIRE(std::holds_alternative<std::string>(missing));
  CHECK(std::get<std::string>(missing) ==
        (tree.root() / "nope").string() + ": No such file or directory");
  auto file = workspace::open(tree.root() / "src/main.py");
  REQUIRE(std::holds_alternative<std::string>(file));
  CHECK(std::get<std::string>(file) ==
        (tree.root() / "src/main.py").string() + ": not a directory");
}

TEST_CASE("workspace resolves paths inside the root", "[workspace]") {
  fixture_tree tree;
  auto ws = open_ws(tree.root());
  CHECK(resolved(ws, "") == tree.root());
  CHECK(resolved(ws, ".") == tree.root());
  CHECK(resolved(ws, "src/main.py") == tree.root() / "src/main.py");
  CHECK(resolved(ws, "./src//main.py") == tree.root() / "src/main.py");
  CHECK(resolved(ws, "src/") == tree.root() / "src");
  // A symlink that stays inside is followed.
  fs::create_symlink("src/main.py", tree.root() / "link_in");
  CHECK(resolved(ws, "link_in") == tree.root() / "src/main.py");
  CHECK(ws.relative(tree.root()) == ".");
  CHECK(ws.relative(tree.root() / "src/main.py") == "src/main.py");
  CHECK(ws.contains(tree.root() / "src"));
  CHECK(ws.contains(tree.root()));
  CHECK_FALSE(ws.contains(tree.root().parent_path()));
  CHECK_FALSE(ws.contains(fs::path{tree.root().string() + "-other"}));
}

TEST_CASE("workspace refuses every escape", "[workspace]") {
  fixture_tree tree;
  auto ws = open_ws(tree.root());
  CHECK(refusal(ws, "/etc/passwd") == "path must be relative to the workspace");
  CHECK(refusal(ws, tree.root().string()) ==
        "path must be relative to the workspace");
  CHECK(refusal(ws, "..") == "path must not contain '..'");
  CHECK(refusal(ws, "src/../../etc") == "path must not contain '..'");
  // Even a `..` that would stay inside is refused.
  CHECK(refusal(ws, "src/../docs") == "path must not contain '..'");
  CHECK(refusal(ws, std::string_view{"src\0x", 5}) ==
        "path contains a NUL byte");
  if (fs::exists("/etc/hostname"))
    CHECK(refusal(ws, "link_out") == "path leaves the workspace: link_out");
  fs::create_directory_symlink("/etc", tree.root() / "etc_link");
  CHECK(refusal(ws, "etc_link") == "path leaves the workspace: etc_link");
  CHECK(refusal(ws, "etc_link/hostname") ==
        "path leaves the workspace: etc_link/hostname");
  fs::create_symlink("does/not/exist", tree.root() / "dangling");
  CHECK(refusal(ws, "dangling") == "dangling symlink: dangling");
  CHECK(refusal(ws, "missing.txt") == "no such file or directory: missing.txt");
  CHECK(refusal(ws, "src/missing/x") ==
        "no such file or directory: src/missing/x");
}

TEST_CASE("workspace check_relative is lexical", "[workspace]") {
  CHECK(workspace::check_relative("a/b") == "");
  CHECK(workspace::check_relative("missing/file") == "");
  CHECK(workspace::check_relative("a/..b") == "");
  CHECK(workspace::check_relative("/a") == "path must be relative to the "
                                           "workspace");
  CHECK(workspace::check_relative("a/../b") == "path must not contain '..'");
}

TEST_CASE("worker_pool runs jobs inline without threads", "[worker_pool]") {
  switchboard::tools::worker_pool pool{0, 1};
  int ran = 0;
  CHECK(pool.submit([&] { ++ran; }));
  CHECK(pool.submit([&] { ++ran; }));
  CHECK(ran == 2);
  pool.stop();
  CHECK_FALSE(pool.submit([&] { ++ran; }));
  CHECK(ran == 2);
}

TEST_CASE("worker_pool bounds its queue", "[worker_pool]") {
  switchboard::tools::worker_pool pool{1, 2};
  std::mutex gate;
  std::unique_lock<std::mutex> hold{gate};
  std::atomic<int> ran{0};
  std::atomic<bool> started{false};
  REQUIRE(pool.submit([&] {
    started = true;
    std::lock_guard<std::mutex> wait{gate};
    ++ran;
  }));
  while (!started)
    std::this_thread::yield();
  CHECK(pool.submit([&] { ++ran; }));
  CHECK(pool.submit([&] { ++ran; }));
  CHECK_FALSE(pool.submit([&] { ++ran; }));
  hold.unlock();
  while (ran < 3)
    std::this_thread::yield();
  pool.stop();
  CHECK(ran == 3);
  CHECK_FALSE(pool.submit([&] { ++ran; }));
}

TEST_CASE("worker_pool keeps a worker free of any single caller",
          "[worker_pool][tools]") {
  switchboard::tools::worker_pool pool{2, 16};
  CHECK(pool.per_key_limit() == 1);
  std::atomic<bool> release{false};
  std::atomic<int> a_running{0};
  std::atomic<bool> b_ran{false};
  auto a_job = [&] {
    ++a_running;
    while (!release)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  REQUIRE(pool.submit(a_job, "caller-a"));
  REQUIRE(pool.submit(a_job, "caller-a"));
  REQUIRE(pool.submit([&] { b_ran = true; }, "caller-b"));
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!b_ran && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // Caller b overtook a's second job, which waits for a's first.
  CHECK(b_ran);
  CHECK(a_running == 1);
  release = true;
  pool.stop();
}

TEST_CASE("worker_pool stop cancels running jobs before joining",
          "[worker_pool][tools]") {
  switchboard::tools::worker_pool pool{1, 4};
  auto token = std::make_shared<switchboard::tools::cancel_token>();
  std::atomic<bool> started{false};
  std::atomic<bool> saw_cancel{false};
  REQUIRE(pool.submit(
      [&, token] {
        started = true;
        while (!token->cancelled())
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        saw_cancel = true;
      },
      "caller", token));
  while (!started)
    std::this_thread::yield();
  // Would hang forever if stop only joined.
  pool.stop();
  CHECK(saw_cancel);
}

TEST_CASE("escaped names round-trip", "[workspace][names]") {
  using switchboard::tools::decode_name;
  using switchboard::tools::encode_name;
  CHECK(encode_name("plain/ü.txt") == "plain/ü.txt");
  CHECK(encode_name("\xff\xfe.txt") == "\\xff\\xfe.txt");
  CHECK(encode_name("a\\b") == "a\\\\b");
  CHECK(encode_name("\xc3") == "\\xc3");
  for (std::string raw : {"\xff\xfe.txt", "a\\b", "a\\xff", "\xed\xa0\x80",
                          "ok", "tail\\", "\\x4"})
    CHECK(decode_name(encode_name(raw)) == raw);
  CHECK(decode_name("\\x41\\X") == "A\\X");
  CHECK(workspace::check_relative("\\x2e\\x2e/x") ==
        "path must not contain '..'");
  CHECK(workspace::check_relative("a\\x00b") == "path contains a NUL byte");
}
