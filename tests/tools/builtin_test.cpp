#include "tools/builtin.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <fstream>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/json.hpp"
#include "protocol/schema.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tools/fs_tools.hpp"
#include "tools/workspace.hpp"

namespace fs = std::filesystem;
using namespace switchboard;
using protocol::error_code;
using switchboard::test::fixture_tree;
using tools::outcome;
using tools::workspace;

namespace {

// Runs a built-in tool the way the registry does: parse, validate against
// the tool's schema, then run.
class harness {
 public:
  harness() : ws_(open(tree_.root())) {
    for (auto& t : tools::builtin_tools())
      tools_.emplace(t.name, t);
  }

  outcome call(const std::string& name, std::string_view args) {
    auto i = tools_.find(name);
    REQUIRE(i != tools_.end());
    auto compiled = protocol::schema::compile(i->second.schema);
    REQUIRE(std::holds_alternative<protocol::schema>(compiled));
    rapidjson::Document doc;
    REQUIRE(protocol::parse_json(args, doc).code == error_code::none);
    auto reason = std::get<protocol::schema>(compiled).validate(doc);
    if (!reason.empty())
      return outcome::fail(error_code::invalid_args, reason);
    tools::cancel_token token;
    return i->second.run(doc, ws_, token);
  }

  // Calls a tool that must succeed and returns its parsed result.
  rapidjson::Document ok(const std::string& name, std::string_view args) {
    auto out = call(name, args);
    INFO(name << " " << args << ": " << out.message);
    REQUIRE(out.code == error_code::none);
    rapidjson::Document doc;
    REQUIRE(protocol::parse_json(out.json, doc, {64 * 1024 * 1024, 64}).code ==
            error_code::none);
    return doc;
  }

  const fs::path& root() const {
    return tree_.root();
  }

  const std::map<std::string, tools::tool>& tools() const {
    return tools_;
  }

 private:
  static workspace open(const fs::path& root) {
    auto ws = workspace::open(root);
    if (auto* err = std::get_if<std::string>(&ws))
      throw std::runtime_error(*err);
    return std::get<workspace>(std::move(ws));
  }

  fixture_tree tree_;
  workspace ws_;
  std::map<std::string, tools::tool> tools_;
};

std::string str(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

std::vector<std::string> entry_paths(const rapidjson::Value& entries) {
  std::vector<std::string> out;
  for (auto& e : entries.GetArray())
    out.push_back(str(e["path"]));
  return out;
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("builtin_tools lists five blocking tools with valid schemas",
          "[builtin]") {
  auto list = tools::builtin_tools();
  strings names;
  for (auto& t : list) {
    names.push_back(t.name);
    CHECK(t.blocking);
    CHECK_FALSE(t.description.empty());
    CHECK(t.run);
    auto compiled = protocol::schema::compile(t.schema);
    CHECK(std::holds_alternative<protocol::schema>(compiled));
    rapidjson::Document doc;
    REQUIRE(protocol::parse_json(t.schema, doc).code == error_code::none);
    CHECK(str(doc["type"]) == "object");
    CHECK(doc["additionalProperties"].IsFalse());
  }
  CHECK(names == strings{"fs.list", "fs.read", "fs.hash", "text.search",
                         "secrets.scan"});
}

TEST_CASE("fs.list lists the top level", "[builtin][fs.list]") {
  harness h;
  auto res = h.ok("fs.list", "{}");
  CHECK(str(res["path"]) == ".");
  CHECK(res["truncated"].IsFalse());
  CHECK(entry_paths(res["entries"]) ==
        strings{"config", "data", "docs", "keys", "link_out", "shared", "src"});
  auto& link = res["entries"][4];
  CHECK(str(link["type"]) == "symlink");
  CHECK(str(link["mode"]) == "0777");
  CHECK(link["size"].GetUint64() == std::string{"/etc/hostname"}.size());
  auto& config = res["entries"][0];
  CHECK(str(config["type"]) == "dir");
  CHECK(config["size"].GetUint64() == 0);
}

TEST_CASE("fs.list recursive lists every entry sorted", "[builtin][fs.list]") {
  harness h;
  auto res = h.ok("fs.list", R"({"path":".","recursive":true})");
  CHECK(entry_paths(res["entries"]) ==
        strings{"config", "config/app.env", "data", "data/big.bin", "docs",
                "docs/readme.md", "keys", "keys/deploy.pem", "link_out",
                "shared", "shared/notes.txt", "src", "src/main.py",
                "src/util.py"});
  std::map<std::string, const rapidjson::Value*> by_path;
  for (auto& e : res["entries"].GetArray())
    by_path[str(e["path"])] = &e;
  auto& notes = *by_path["shared/notes.txt"];
  CHECK(str(notes["mode"]) == "0666");
  CHECK(str(notes["type"]) == "file");
  auto& big = *by_path["data/big.bin"];
  CHECK(big["size"].GetUint64() == 2048);
  CHECK(str(big["mode"]) == "0644");

  // A subdirectory, and a symlinked directory is never entered.
  fs::create_directory_symlink("/etc", h.root() / "src/etc_link");
  res = h.ok("fs.list", R"({"path":"src","recursive":true})");
  CHECK(str(res["path"]) == "src");
  CHECK(entry_paths(res["entries"]) ==
        strings{"src/etc_link", "src/main.py", "src/util.py"});
  CHECK(str(res["entries"][0]["type"]) == "symlink");
}

TEST_CASE("fs.list truncates at max_entries", "[builtin][fs.list]") {
  harness h;
  auto res = h.ok("fs.list", R"({"recursive":true,"max_entries":3})");
  CHECK(entry_paths(res["entries"]) ==
        strings{"config", "config/app.env", "data"});
  CHECK(res["truncated"].IsTrue());
  res = h.ok("fs.list", R"({"max_entries":7})");
  CHECK(res["entries"].Size() == 7);
  CHECK(res["truncated"].IsFalse());
}

TEST_CASE("fs.list refuses bad arguments", "[builtin][fs.list]") {
  harness h;
  auto out = h.call("fs.list", R"({"path":"../"})");
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "path must not contain '..'");
  out = h.call("fs.list", R"({"path":"/etc"})");
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "path must be relative to the workspace");
  out = h.call("fs.list", R"({"path":"link_out"})");
  CHECK(out.code == error_code::invalid_args);
  out = h.call("fs.list", R"({"path":"src/main.py"})");
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "not a directory: src/main.py");
  out = h.call("fs.list", R"({"max_entries":0})");
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "/max_entries: is below minimum 1");
  out = h.call("fs.list", R"({"max_entries":100001})");
  CHECK(out.code == error_code::invalid_args);
  out = h.call("fs.list", R"({"recursive":"yes"})");
  CHECK(out.code == error_code::invalid_args);
  out = h.call("fs.list", R"({"bogus":1})");
  CHECK(out.message == "/bogus: is not allowed by additionalProperties");
}

TEST_CASE("fs.read reads text ranges", "[builtin][fs.read]") {
  harness h;
  auto res = h.ok("fs.read", R"({"path":"docs/readme.md"})");
  std::string readme = "# Fixture\n\nA small tree for the tool tests.\n";
  CHECK(str(res["path"]) == "docs/readme.md");
  CHECK(res["size"].GetUint64() == readme.size());
  CHECK(res["offset"].GetUint64() == 0);
  CHECK(str(res["data"]) == readme);
  CHECK(res["truncated"].IsFalse());

  res = h.ok("fs.read", R"({"path":"docs/readme.md","offset":2,)"
                        R"("max_bytes":7})");
  CHECK(str(res["data"]) == "Fixture");
  CHECK(res["offset"].GetUint64() == 2);
  CHECK(res["truncated"].IsTrue());

  res = h.ok("fs.read", R"({"path":"docs/readme.md","offset":1000})");
  CHECK(str(res["data"]) == "");
  CHECK(res["truncated"].IsFalse());

  // Bytes that are not UTF-8 become U+FFFD; NUL stays a character.
  res = h.ok("fs.read", R"({"path":"data/big.bin","offset":250,)"
                        R"("max_bytes":3})");
  CHECK(str(res["data"]) == std::string{"\xEF\xBF\xBD\0\x01", 5});
}

TEST_CASE("fs.read refuses bad arguments", "[builtin][fs.read]") {
  harness h;
  auto out = h.call("fs.read", R"({"path":"src"})");
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "not a regular file: src");
  out = h.call("fs.read", R"({"path":"link_out"})");
  CHECK(out.code == error_code::invalid_args);
  out = h.call("fs.read", R"({"path":"src/../../etc/passwd"})");
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "path must not contain '..'");
  out = h.call("fs.read", R"({"path":"nope.txt"})");
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "no such file or directory: nope.txt");
  out = h.call("fs.read", "{}");
  CHECK(out.message == "/: lacks required property \"path\"");
  out = h.call("fs.read", R"({"path":"src/main.py","max_bytes":1048577})");
  CHECK(out.message == "/max_bytes: is above maximum 1048576");
  out = h.call("fs.read", R"({"path":"src/main.py","offset":-1})");
  CHECK(out.message == "/offset: is below minimum 0");
  // Unreadable file: an I/O failure, not a bad argument.
  if (::geteuid() != 0) {
    ::chmod((h.root() / "src/util.py").c_str(), 0);
    out = h.call("fs.read", R"({"path":"src/util.py"})");
    CHECK(out.code == error_code::tool_failed);
  }
}

TEST_CASE("fs.hash computes SHA-256", "[builtin][fs.hash]") {
  harness h;
  std::ofstream{h.root() / "abc.txt"} << "abc";
  auto res = h.ok("fs.hash", R"({"path":"abc.txt"})");
  CHECK(str(res["path"]) == "abc.txt");
  CHECK(res["size"].GetUint64() == 3);
  CHECK(str(res["sha256"]) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::ofstream{h.root() / "empty.txt"};
  res = h.ok("fs.hash", R"({"path":"empty.txt"})");
  CHECK(str(res["sha256"]) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Several 64 KiB chunks: one million 'a' is a published test vector.
  std::ofstream{h.root() / "million.txt"} << std::string(1000000, 'a');
  res = h.ok("fs.hash", R"({"path":"million.txt"})");
  CHECK(res["size"].GetUint64() == 1000000);
  CHECK(str(res["sha256"]) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  auto out = h.call("fs.hash", R"({"path":"link_out"})");
  CHECK(out.code == error_code::invalid_args);
  out = h.call("fs.hash", R"({"path":"docs"})");
  CHECK(out.message == "not a regular file: docs");
}

TEST_CASE("text.search finds matching lines", "[builtin][text.search]") {
  harness h;
  auto res = h.ok("text.search", R"({"pattern":"def \\w+\\("})");
  REQUIRE(res["matches"].Size() == 3);
  CHECK(str(res["matches"][0]["path"]) == "src/main.py");
  CHECK(res["matches"][0]["line"].GetUint64() == 6);
  CHECK(str(res["matches"][0]["text"]) == "def main():");
  CHECK(str(res["matches"][1]["path"]) == "src/util.py");
  CHECK(res["matches"][1]["line"].GetUint64() == 1);
  CHECK(str(res["matches"][2]["text"]) == "def count(text):");
  // big.bin is binary, link_out is a symlink: neither is searched.
  CHECK(res["files_searched"].GetUint64() == 6);
  CHECK(res["truncated"].IsFalse());

  res = h.ok("text.search", R"({"pattern":"FIXTURE"})");
  CHECK(res["matches"].Size() == 0);
  res = h.ok("text.search", R"({"pattern":"FIXTURE","case_insensitive":true})");
  REQUIRE(res["matches"].Size() == 1);
  CHECK(str(res["matches"][0]["path"]) == "docs/readme.md");

  res = h.ok("text.search", R"({"pattern":"t","path":"src/util.py",)"
                            R"("max_matches":2})");
  CHECK(res["matches"].Size() == 2);
  CHECK(res["truncated"].IsTrue());
  CHECK(res["files_searched"].GetUint64() == 1);

  std::ofstream{h.root() / "wide.txt"} << std::string(300, 'w') << "\n";
  res = h.ok("text.search", R"({"pattern":"^w+$","path":"wide.txt"})");
  REQUIRE(res["matches"].Size() == 1);
  CHECK(str(res["matches"][0]["text"]) == std::string(200, 'w'));
}

TEST_CASE("text.search refuses bad arguments", "[builtin][text.search]") {
  harness h;
  auto out = h.call("text.search", R"({"pattern":"(unclosed"})");
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "invalid pattern: missing ): (unclosed");
  out = h.call("text.search", R"({"pattern":"a","path":"link_out"})");
  CHECK(out.code == error_code::invalid_args);
  out = h.call("text.search", R"({"pattern":"a","path":"/etc"})");
  CHECK(out.code == error_code::invalid_args);
  out = h.call("text.search", R"({"pattern":""})");
  CHECK(out.message == "/pattern: is shorter than minLength 1");
  out = h.call("text.search", R"({"pattern":"a","max_matches":10001})");
  CHECK(out.code == error_code::invalid_args);
}

TEST_CASE("secrets.scan scans one path", "[builtin][secrets.scan]") {
  harness h;
  auto res = h.ok("secrets.scan", R"({"path":"config/app.env"})");
  CHECK(res["files_scanned"].GetUint64() == 1);
  CHECK(res["bytes_scanned"].GetUint64() ==
        fs::file_size(h.root() / "config/app.env"));
  CHECK(res["skipped"].Size() == 0);
  auto& f = res["findings"];
  REQUIRE(f.Size() == 2);
  CHECK(str(f[0]["rule"]) == "aws_access_key");
  CHECK(str(f[0]["severity"]) == "high");
  CHECK(str(f[0]["path"]) == "config/app.env");
  CHECK(f[0]["line"].GetUint64() == 2);
  CHECK(str(f[0]["excerpt"]) == "AWS_ACCESS_KEY_ID=AKIA****************");
  CHECK(str(f[1]["rule"]) == "generic_secret");
  CHECK(f[1]["line"].GetUint64() == 3);
  CHECK(str(f[1]["excerpt"]) == "DB_PASSWORD=********");
  // The raw result never carries a secret value.
  auto raw = h.call("secrets.scan", R"({"path":"config/app.env"})").json;
  CHECK(raw.find("IOSFODNN7EXAMPLE") == std::string::npos);
  CHECK(raw.find("correct-horse-42") == std::string::npos);
}

TEST_CASE("secrets.scan scans a list of paths", "[builtin][secrets.scan]") {
  harness h;
  auto res = h.ok("secrets.scan",
                  R"({"paths":["keys/deploy.pem","src/main.py","link_out",)"
                  R"("data/big.bin"]})");
  CHECK(res["files_scanned"].GetUint64() == 2);
  auto& f = res["findings"];
  REQUIRE(f.Size() == 2);
  CHECK(str(f[0]["rule"]) == "private_key");
  CHECK(str(f[0]["path"]) == "keys/deploy.pem");
  CHECK(f[0]["line"].GetUint64() == 1);
  CHECK(str(f[0]["excerpt"]) == "-----BEGIN RSA PRIVATE KEY-----");
  CHECK(str(f[1]["rule"]) == "generic_secret");
  CHECK(str(f[1]["path"]) == "src/main.py");
  CHECK(f[1]["line"].GetUint64() == 4);
  CHECK(str(f[1]["excerpt"]) == "password = \"********\"");
  auto& skipped = res["skipped"];
  REQUIRE(skipped.Size() == 2);
  CHECK(str(skipped[0]["path"]) == "link_out");
  CHECK(str(skipped[0]["reason"]).find("link_out") != std::string::npos);
  CHECK(str(skipped[1]["path"]) == "data/big.bin");
  CHECK(str(skipped[1]["reason"]) == "binary file");
}

TEST_CASE("secrets.scan never reads a symlink out of the workspace",
          "[builtin][secrets.scan]") {
  harness h;
  // A target outside with a planted secret, reached by a symlink.
  char tmpl[] = "/tmp/switchboard-outside-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  fs::path outside{tmpl};
  std::ofstream{outside / "creds"} << "password=outside-secret\n";
  fs::create_symlink(outside / "creds", h.root() / "creds_link");
  fs::create_directory_symlink(outside, h.root() / "outdir");
  auto res = h.ok("secrets.scan", R"({"paths":["creds_link","outdir/creds"]})");
  CHECK(res["files_scanned"].GetUint64() == 0);
  CHECK(res["bytes_scanned"].GetUint64() == 0);
  CHECK(res["findings"].Size() == 0);
  REQUIRE(res["skipped"].Size() == 2);
  CHECK(str(res["skipped"][0]["reason"]) ==
        "path leaves the workspace: creds_link");
  CHECK(str(res["skipped"][1]["path"]) == "outdir/creds");
  fs::remove_all(outside);
}

TEST_CASE("secrets.scan refuses bad arguments", "[builtin][secrets.scan]") {
  harness h;
  auto out = h.call("secrets.scan", R"({"path":"src"})");
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "not a regular file: src");
  out = h.call("secrets.scan", R"({"paths":["src/main.py","../x"]})");
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "path must not contain '..'");
  out = h.call("secrets.scan", R"({"path":"/etc/passwd"})");
  CHECK(out.message == "path must be relative to the workspace");
  out = h.call("secrets.scan", R"({"path":"missing"})");
  CHECK(out.message == "no such file or directory: missing");
  out = h.call("secrets.scan", R"({"path":"a","paths":["b"]})");
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "/: does not match exactly one schema of oneOf");
  out = h.call("secrets.scan", "{}");
  CHECK(out.message == "/: does not match exactly one schema of oneOf");
  out = h.call("secrets.scan", R"({"paths":[]})");
  CHECK(out.message == "/paths: is shorter than minItems 1");
  out =
      h.call("secrets.scan", R"({"path":"src/main.py","large_file_bytes":0})");
  CHECK(out.message == "/large_file_bytes: is below minimum 1");
  std::string many = R"({"paths":[)";
  for (int i = 0; i < 257; ++i)
    many += std::string{i ? "," : ""} + "\"src/main.py\"";
  many += "]}";
  out = h.call("secrets.scan", many);
  CHECK(out.message == "/paths: is longer than maxItems 256");
  // Without the schema, the tool checks the one-of rule itself.
  rapidjson::Document both;
  both.Parse(R"({"path":"a","paths":["b"]})");
  auto ws = std::get<workspace>(workspace::open(h.root()));
  tools::cancel_token token;
  out = h.tools().at("secrets.scan").run(both, ws, token);
  CHECK(out.code == error_code::invalid_args);
  CHECK(out.message == "give exactly one of path and paths");
}

TEST_CASE("an audit of every listed file finds the planted secrets",
          "[builtin][secrets.scan]") {
  harness h;
  auto listing = h.ok("fs.list", R"({"recursive":true,"max_entries":100000})");
  std::string args = R"({"paths":[)";
  bool first = true;
  for (auto& e : listing["entries"].GetArray()) {
    if (str(e["type"]) != "file")
      continue;
    args += (first ? "" : ",") + protocol::quote(str(e["path"]));
    first = false;
  }
  args += R"(],"large_file_bytes":1024})";
  auto res = h.ok("secrets.scan", args);
  std::map<std::string, int> counts;
  strings found;
  for (auto& f : res["findings"].GetArray()) {
    ++counts[str(f["severity"])];
    found.push_back(str(f["rule"]) + " " + str(f["path"]) + ":" +
                    std::to_string(f["line"].GetUint64()));
  }
  CHECK(counts ==
        std::map<std::string, int>{{"high", 2}, {"medium", 3}, {"low", 1}});
  CHECK(found == strings{"aws_access_key config/app.env:2",
                         "generic_secret config/app.env:3",
                         "large_file data/big.bin:0",
                         "private_key keys/deploy.pem:1",
                         "world_writable shared/notes.txt:0",
                         "generic_secret src/main.py:4"});
  CHECK(res["files_scanned"].GetUint64() == 6);
  REQUIRE(res["skipped"].Size() == 1);
  CHECK(str(res["skipped"][0]["path"]) == "data/big.bin");
  CHECK(str(res["skipped"][0]["reason"]) == "larger than large_file_bytes");
}

// -- hardening (issue 10) -----------------------------------------------------

namespace {

// Runs a built-in tool on `ws` with `token`, without schema validation.
outcome run_tool(const workspace& ws, const std::string& name,
                 std::string_view args, const tools::cancel_token& token) {
  for (auto& t : tools::builtin_tools())
    if (t.name == name) {
      rapidjson::Document doc;
      REQUIRE(protocol::parse_json(args, doc).code == error_code::none);
      return t.run(doc, ws, token);
    }
  FAIL("no tool " << name);
  return {};
}

outcome run_tool(const workspace& ws, const std::string& name,
                 std::string_view args) {
  tools::cancel_token token;
  return run_tool(ws, name, args, token);
}

// Returns whether `text` parses as JSON with UTF-8 validation.
bool valid_json(const std::string& text) {
  rapidjson::Document doc;
  return protocol::parse_json(text, doc, {64 * 1024 * 1024, 64}).code ==
         error_code::none;
}

fs::path make_temp_dir(const char* prefix) {
  std::string tmpl = std::string{"/tmp/"} + prefix + "-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return fs::canonical(tmpl);
}

} // namespace

TEST_CASE("exchanging a directory with a symlink out never leaks outside "
          "bytes",
          "[builtin][tools][race]") {
  // Both lookups: openat2 with RESOLVE_BENEATH and the per-component
  // fallback.
  bool use_openat2 = GENERATE(true, false);
  INFO("openat2: " << use_openat2);
  workspace::use_openat2(use_openat2);
  auto root = make_temp_dir("sb-race-ws");
  auto outside = make_temp_dir("sb-race-out");
  const std::string marker = "OUTSIDE-MARKER-7f3a9c";
  const std::string aws = "AKIAOUTSIDE000000000";
  fs::create_directory(root / "d");
  std::ofstream{root / "d/f.txt"} << "inside text\n";
  std::ofstream{outside / "f.txt"} << marker << " key=" << aws << "\n";
  std::ofstream{outside / ("file-" + marker)} << marker << "\n";
  fs::create_directory_symlink(outside, root / "l");
  std::string outside_sha;
  {
    auto ows = std::get<workspace>(workspace::open(outside));
    rapidjson::Document d;
    d.Parse(run_tool(ows, "fs.hash", R"({"path":"f.txt"})").json.c_str());
    outside_sha = d["sha256"].GetString();
  }
  auto ws = std::get<workspace>(workspace::open(root));
  std::atomic<bool> done{false};
  std::thread exchanger{[&] {
    auto a = (root / "d").string();
    auto b = (root / "l").string();
    for (int i = 0; i < 20000; ++i)
      ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
    done = true;
  }};
  size_t calls = 0;
  size_t leaks = 0;
  size_t successes = 0;
  auto check = [&](const outcome& out, bool leaked) {
    ++calls;
    if (out.code == error_code::none)
      ++successes;
    if (leaked || out.json.find(marker) != std::string::npos ||
        out.message.find(marker) != std::string::npos)
      ++leaks;
  };
  while (!done) {
    check(run_tool(ws, "fs.read", R"({"path":"d/f.txt"})"), false);
    auto hash = run_tool(ws, "fs.hash", R"({"path":"d/f.txt"})");
    check(hash, hash.json.find(outside_sha) != std::string::npos);
    auto scan = run_tool(ws, "secrets.scan", R"({"paths":["d/f.txt"]})");
    check(scan, scan.json.find("aws_access_key") != std::string::npos);
    check(run_tool(ws, "fs.list", R"({"path":"d","recursive":true})"), false);
    check(run_tool(ws, "fs.list", R"({"recursive":true})"), false);
    check(run_tool(ws, "text.search",
                   R"({"pattern":"OUTSIDE-MARKER","path":"d"})"),
          false);
    check(run_tool(ws, "text.search", R"({"pattern":"OUTSIDE-MARKER"})"),
          false);
  }
  exchanger.join();
  workspace::use_openat2(true);
  CHECK(calls > 50);
  CHECK(successes > 0);
  CHECK(leaks == 0);
  test::remove_tree(root);
  test::remove_tree(outside);
}

TEST_CASE("a call on a huge sparse file stops when cancelled",
          "[builtin][tools][cancel]") {
  harness h;
  {
    int fd = ::open((h.root() / "huge.bin").c_str(),
                    O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, off_t{20} << 30) == 0);
    ::close(fd);
  }
  auto ws = std::get<workspace>(workspace::open(h.root()));
  SECTION("cancel from another thread") {
    tools::cancel_token token{std::chrono::steady_clock::now() +
                                  std::chrono::hours(1),
                              uint64_t{1} << 40};
    auto result = std::async(std::launch::async, [&] {
      return run_tool(ws, "fs.hash", R"({"path":"huge.bin"})", token);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    token.cancel();
    // Generous: the hash checks its token every 64 KiB.
    REQUIRE(result.wait_for(std::chrono::seconds(30)) ==
            std::future_status::ready);
    auto out = result.get();
    CHECK(out.code == error_code::tool_failed);
    CHECK(out.message == "the tool call was cancelled");
  }
  SECTION("the deadline stops it with tool_timeout") {
    tools::cancel_token token{std::chrono::steady_clock::now() +
                                  std::chrono::milliseconds(200),
                              uint64_t{1} << 40};
    auto out = run_tool(ws, "fs.hash", R"({"path":"huge.bin"})", token);
    CHECK(out.code == error_code::tool_timeout);
  }
  SECTION("the byte limit refuses it at once") {
    auto out = run_tool(ws, "fs.hash", R"({"path":"huge.bin"})");
    CHECK(out.code == error_code::tool_failed);
    CHECK(out.message.find("--tool-max-bytes") != std::string::npos);
  }
  SECTION("a cancelled token stops every tool") {
    tools::cancel_token token;
    token.cancel();
    for (auto [name, args] : std::vector<std::pair<std::string, std::string>>{
             {"fs.list", R"({"recursive":true})"},
             {"fs.read", R"({"path":"src/main.py"})"},
             {"fs.hash", R"({"path":"src/main.py"})"},
             {"text.search", R"({"pattern":"x"})"},
             {"secrets.scan", R"({"paths":["src/main.py"]})"}}) {
      INFO(name);
      CHECK(run_tool(ws, name, args, token).message ==
            "the tool call was cancelled");
    }
  }
}

TEST_CASE("byte limits end scans with a clear reason", "[builtin][tools]") {
  harness h;
  auto ws = std::get<workspace>(workspace::open(h.root()));
  tools::cancel_token token{
      std::chrono::steady_clock::now() + std::chrono::hours(1), 100};
  auto out = run_tool(ws, "fs.hash", R"({"path":"data/big.bin"})", token);
  CHECK(out.code == error_code::tool_failed);
  CHECK(out.message.find("--tool-max-bytes") != std::string::npos);
  out = run_tool(ws, "secrets.scan",
                 R"({"paths":["keys/deploy.pem","src/main.py"]})", token);
  REQUIRE(out.code == error_code::none);
  rapidjson::Document res;
  res.Parse(out.json.c_str());
  CHECK(res["skipped"].Size() == 2);
  CHECK(str(res["skipped"][0]["reason"]).find("--tool-max-bytes") !=
        std::string::npos);
  out = run_tool(ws, "text.search", R"({"pattern":"x"})", token);
  REQUIRE(out.code == error_code::none);
  res.Parse(out.json.c_str());
  CHECK(res["truncated"].IsTrue());
  bool limited = false;
  for (auto& s : res["skipped"].GetArray())
    limited |= str(s["reason"]).find("--tool-max-bytes") != std::string::npos;
  CHECK(limited);
}

TEST_CASE("names that are not UTF-8 are listed escaped and found again",
          "[builtin][tools][names]") {
  harness h;
  std::string raw = "\xff\xfe.txt";
  std::ofstream{h.root() / raw} << "hidden AKIAIOSFODNN7EXAMPLE\n";
  std::ofstream{h.root() / "back\\slash.txt"} << "slash\n";
  auto listing = h.ok("fs.list", "{}");
  auto paths = entry_paths(listing["entries"]);
  CHECK(std::find(paths.begin(), paths.end(), "\\xff\\xfe.txt") != paths.end());
  CHECK(std::find(paths.begin(), paths.end(), "back\\\\slash.txt") !=
        paths.end());
  auto res = h.ok("fs.read", R"({"path":"\\xff\\xfe.txt"})");
  CHECK(str(res["path"]) == "\\xff\\xfe.txt");
  CHECK(str(res["data"]) == "hidden AKIAIOSFODNN7EXAMPLE\n");
  res = h.ok("fs.read", R"({"path":"back\\\\slash.txt"})");
  CHECK(str(res["data"]) == "slash\n");
  res = h.ok("fs.hash", R"({"path":"\\xff\\xfe.txt"})");
  res = h.ok("secrets.scan", R"({"paths":["\\xff\\xfe.txt"]})");
  REQUIRE(res["findings"].Size() == 1);
  CHECK(str(res["findings"][0]["path"]) == "\\xff\\xfe.txt");
  res = h.ok("text.search", R"({"pattern":"hidden"})");
  REQUIRE(res["matches"].Size() == 1);
  CHECK(str(res["matches"][0]["path"]) == "\\xff\\xfe.txt");
  // Error messages name the file in the same form and stay valid UTF-8.
  auto out = h.call("fs.read", R"({"path":"\\xff\\xfe-missing"})");
  CHECK(out.message == "no such file or directory: \\xff\\xfe-missing");
  CHECK(tools::valid_utf8(out.message) == out.message);
  fs::create_directory(h.root() / ("dir\xc3"));
  out = h.call("fs.read", R"({"path":"dir\\xc3"})");
  CHECK(out.message == "not a regular file: dir\\xc3");
  // Every result is valid JSON with valid UTF-8.
  for (auto args : {R"({"recursive":true})"})
    CHECK(valid_json(h.call("fs.list", args).json));
}

TEST_CASE("a file deeper than PATH_MAX is listed and searched",
          "[builtin][tools][names]") {
  harness h;
  // 24 levels of 200-byte names: about 4,800 bytes of path.
  int dir = ::open(h.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(dir >= 0);
  std::string name(200, 'd');
  for (int i = 0; i < 24; ++i) {
    REQUIRE(::mkdirat(dir, name.c_str(), 0755) == 0);
    int sub = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(sub >= 0);
    ::close(dir);
    dir = sub;
  }
  int fd = ::openat(dir, "deep.txt", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  std::string text = "needle-in-the-deep\n";
  REQUIRE(::write(fd, text.data(), text.size()) ==
          static_cast<ssize_t>(text.size()));
  ::close(fd);
  ::close(dir);
  auto listing = h.ok("fs.list", R"({"recursive":true,"max_entries":100000})");
  std::string deep;
  for (auto& p : entry_paths(listing["entries"]))
    if (p.size() > 9 && p.substr(p.size() - 9) == "/deep.txt")
      deep = p;
  CHECK(deep.size() > PATH_MAX);
  auto res = h.ok("text.search", R"({"pattern":"needle-in-the-deep"})");
  REQUIRE(res["matches"].Size() == 1);
  CHECK(str(res["matches"][0]["path"]) == deep);
}

TEST_CASE("what a scan cannot read is listed in skipped",
          "[builtin][tools][names]") {
  harness h;
  REQUIRE(::mkfifo((h.root() / "src/pipe").c_str(), 0644) == 0);
  fs::create_symlink("nowhere", h.root() / "src/dangling");
  auto res = h.ok("text.search", R"({"pattern":"x","path":"src"})");
  std::map<std::string, std::string> skipped;
  for (auto& s : res["skipped"].GetArray())
    skipped[str(s["path"])] = str(s["reason"]);
  CHECK(skipped["src/pipe"] == "not a regular file");
  CHECK(skipped["src/dangling"] == "symlink, not followed");
  res = h.ok("secrets.scan", R"({"paths":["src/pipe","src/dangling"]})");
  REQUIRE(res["skipped"].Size() == 2);
  CHECK(str(res["skipped"][0]["reason"]) == "not a regular file");
  CHECK(str(res["skipped"][1]["reason"]) == "dangling symlink: src/dangling");
  if (::geteuid() != 0) {
    ::chmod((h.root() / "src/util.py").c_str(), 0);
    ::chmod((h.root() / "docs").c_str(), 0);
    res = h.ok("text.search", R"({"pattern":"x"})");
    skipped.clear();
    for (auto& s : res["skipped"].GetArray())
      skipped[str(s["path"])] = str(s["reason"]);
    CHECK(skipped.count("src/util.py") == 1);
    CHECK(skipped.count("docs") == 1);
    ::chmod((h.root() / "docs").c_str(), 0755);
  } else {
    WARN("running as root: permission bits do not stop root, so unreadable "
         "files are covered by the FIFO and the dangling symlink only");
  }
}
