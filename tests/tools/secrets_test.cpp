#include "tools/secrets.hpp"

#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/fixture_tree.hpp"
#include "tools/workspace.hpp"

namespace fs = std::filesystem;
using namespace switchboard::tools;
using switchboard::test::fixture_tree;

namespace {

std::vector<std::string> rules_of(const std::vector<finding>& fs) {
  std::vector<std::string> out;
  for (auto& f : fs)
    out.push_back(f.rule);
  return out;
}

std::vector<std::string> rules_in(std::string_view text) {
  return rules_of(scan_text(text, "t.txt"));
}

workspace open_ws(const fs::path& root) {
  auto ws = workspace::open(root);
  REQUIRE(std::holds_alternative<workspace>(ws));
  return std::get<workspace>(std::move(ws));
}

void write(const fs::path& p, const std::string& text, mode_t mode = 0644) {
  std::ofstream{p, std::ios::binary} << text;
  REQUIRE(::chmod(p.c_str(), mode) == 0);
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("aws_access_key: AKIA and 16 characters, word-bounded", "[secrets]") {
  auto fs = scan_text("x\nkey AKIAIOSFODNN7EXAMPLE here\n", "a/b.txt");
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].rule == "aws_access_key");
  CHECK(fs[0].severity == "high");
  CHECK(fs[0].path == "a/b.txt");
  CHECK(fs[0].line == 2);
  CHECK(fs[0].excerpt == "key AKIA**************** here");
  CHECK(rules_in("\"AKIAIOSFODNN7EXAMPLE\"") == strings{"aws_access_key"});
  CHECK(rules_in("AKIAIOSFODNN7EXAMPLE AKIAI44QH8DHBEXAMPLE") ==
        strings{"aws_access_key", "aws_access_key"});
  // 15 or 17 characters, lowercase, glued to a word: no finding.
  CHECK(rules_in("AKIAIOSFODNN7EXAMPL").empty());
  CHECK(rules_in("AKIAIOSFODNN7EXAMPLEX").empty());
  CHECK(rules_in("AKIAiosfodnn7example").empty());
  CHECK(rules_in("xAKIAIOSFODNN7EXAMPLE").empty());
  CHECK(rules_in("ASIAIOSFODNN7EXAMPLE").empty());
}

TEST_CASE("private_key: a BEGIN ... PRIVATE KEY line", "[secrets]") {
  auto fs = scan_text("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA "
                      "PRIVATE KEY-----\n",
                      "k.pem");
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].rule == "private_key");
  CHECK(fs[0].severity == "high");
  CHECK(fs[0].line == 1);
  CHECK(fs[0].excerpt == "-----BEGIN RSA PRIVATE KEY-----");
  CHECK(rules_in("-----BEGIN PRIVATE KEY-----") == strings{"private_key"});
  CHECK(rules_in("  -----BEGIN OPENSSH PRIVATE KEY-----") ==
        strings{"private_key"});
  CHECK(rules_in("-----BEGIN ENCRYPTED PRIVATE KEY-----") ==
        strings{"private_key"});
  CHECK(rules_in("-----BEGIN PUBLIC KEY-----").empty());
  CHECK(rules_in("-----BEGIN CERTIFICATE-----").empty());
  CHECK(rules_in("-----BEGIN rsa PRIVATE KEY-----").empty());
  CHECK(rules_in("see -----BEGIN PRIVATE KEY----- in docs").empty());
}

TEST_CASE("generic_secret: a secret-named key assigned a long value",
          "[secrets]") {
  auto fs = scan_text("password = \"hunter22xx\"\n", "main.py");
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].rule == "generic_secret");
  CHECK(fs[0].severity == "medium");
  CHECK(fs[0].line == 1);
  CHECK(fs[0].excerpt == "password = \"********\"");
  CHECK(redact_line("api_key: 'abcd1234'") == "api_key: '********'");
  CHECK(redact_line("TOKEN=abcdefgh123") == "TOKEN=********");
  CHECK(redact_line("  \"client_secret\": \"s3cr3t-value\",") ==
        "\"client_secret\": \"********\",");
  CHECK(redact_line("DB_PASSWD: longenough") == "DB_PASSWD: ********");
  CHECK(redact_line("apikey=abcdefgh; access_key=ijklmnop") ==
        "apikey=********; access_key=********");
  CHECK(rules_in("MY_SECRET_KEY=abcdefgh") == strings{"generic_secret"});
  CHECK(rules_in("Access_Key: 12345678") == strings{"generic_secret"});
  // Short, empty, computed or unrelated values: no finding.
  CHECK(rules_in("password = \"short7x\"").empty());
  CHECK(rules_in("password = \"\"").empty());
  CHECK(rules_in("token = tokenize(text)").empty());
  CHECK(rules_in("password = os.environ[\"DB_PASSWORD\"]").empty());
  CHECK(rules_in("password: Optional[str] = None").empty());
  CHECK(rules_in("username = \"administrator\"").empty());
  CHECK(rules_in("if password == \"letmein123\":").empty());
  CHECK(rules_in("the password is hunter22xx").empty());
}

TEST_CASE("a value holding an AWS key is reported once, as high", "[secrets]") {
  auto fs = scan_text("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "x.env");
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].rule == "aws_access_key");
  CHECK(fs[0].excerpt == "AWS_ACCESS_KEY_ID=AKIA****************");
}

TEST_CASE("excerpts never contain a secret value", "[secrets]") {
  std::string long_prefix(200, 'x');
  std::vector<std::pair<std::string, std::string>> cases = {
      {"key AKIAIOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE"},
      {"password = \"hunter22xx\"", "hunter22xx"},
      {"api_key: 'abcd1234'", "abcd1234"},
      {"TOKEN=abcdefgh123", "abcdefgh123"},
      {"secret='AKIAIOSFODNN7EXAMPLE' token=zzzzzzzzzzzz", "zzzzzzzzzzzz"},
      {"secret='AKIAIOSFODNN7EXAMPLE' token=zzzzzzzzzzzz", "IOSFODNN7EXAMPLE"},
      {long_prefix + " password=hunter22xx", "hunter22xx"},
      {"password=hunter22xx " + long_prefix, "hunter22xx"},
  };
  for (auto& [line, secret] : cases) {
    INFO(line);
    auto fs = scan_text(line, "p");
    REQUIRE_FALSE(fs.empty());
    for (auto& f : fs) {
      CHECK(f.excerpt.find(secret) == std::string::npos);
      CHECK(f.excerpt.size() <= max_excerpt_bytes);
    }
  }
  // Excerpts are trimmed and cut to 120 bytes.
  auto fs = scan_text("\t password=hunter22xx " + long_prefix, "p");
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].excerpt.size() == 120);
  CHECK(fs[0].excerpt.rfind("password=******** xxx", 0) == 0);
}

TEST_CASE("findings per file are capped", "[secrets]") {
  std::string text;
  for (int i = 0; i < 150; ++i)
    text += "token=abcdefgh" + std::to_string(i) + "\n";
  auto fs = scan_text(text, "many.txt");
  REQUIRE(fs.size() == max_findings_per_file);
  CHECK(fs.back().line == 100);
  CHECK(scan_text(text, "many.txt", 3).size() == 3);
}

TEST_CASE("scan_file applies file rules and skips what it cannot read",
          "[secrets]") {
  fixture_tree tree;
  auto ws = open_ws(tree.root());
  auto env = scan_file(ws, "config/app.env");
  CHECK(env.skipped == "");
  CHECK(env.size == fs::file_size(tree.root() / "config/app.env"));
  CHECK(env.bytes_scanned == env.size);
  REQUIRE(env.findings.size() == 2);
  CHECK(env.findings[0].rule == "aws_access_key");
  CHECK(env.findings[0].path == "config/app.env");
  CHECK(env.findings[0].line == 2);
  CHECK(env.findings[1].rule == "generic_secret");
  CHECK(env.findings[1].line == 3);
  CHECK(env.findings[1].excerpt == "DB_PASSWORD=********");

  auto notes = scan_file(ws, "shared/notes.txt");
  REQUIRE(notes.findings.size() == 1);
  CHECK(notes.findings[0].rule == "world_writable");
  CHECK(notes.findings[0].severity == "medium");
  CHECK(notes.findings[0].line == 0);
  CHECK(notes.findings[0].excerpt == "");
  CHECK(notes.skipped == "");

  CHECK(scan_file(ws, "src/util.py").findings.empty());
  CHECK(scan_file(ws, "docs/readme.md").findings.empty());

  // data/big.bin has NUL bytes: binary, not read for secrets.
  auto big = scan_file(ws, "data/big.bin");
  CHECK(big.findings.empty());
  CHECK(big.skipped == "binary file");
  CHECK(big.bytes_scanned == 0);
  CHECK(big.size == 2048);

  auto large = scan_file(ws, "data/big.bin", 1024);
  REQUIRE(large.findings.size() == 1);
  CHECK(large.findings[0].rule == "large_file");
  CHECK(large.findings[0].severity == "low");
  CHECK(large.findings[0].path == "data/big.bin");
  CHECK(large.skipped == "larger than large_file_bytes");

  // A large text file with a secret is reported as large, not read.
  write(tree.root() / "src/dump.sql",
        "password=hunter22xx\n" + std::string(2000, '-'));
  auto dump = scan_file(ws, "src/dump.sql", 1024);
  CHECK(rules_of(dump.findings) == strings{"large_file"});
  CHECK(dump.bytes_scanned == 0);

  // Exactly at the limit is not large.
  write(tree.root() / "src/edge.txt", std::string(1024, 'a'));
  auto edge = scan_file(ws, "src/edge.txt", 1024);
  CHECK(edge.findings.empty());
  CHECK(edge.bytes_scanned == 1024);

  // World-writable and large at once, with mode set explicitly.
  write(tree.root() / "src/both.txt", std::string(2000, 'a'), 0666);
  CHECK(rules_of(scan_file(ws, "src/both.txt", 1024).findings) ==
        strings{"world_writable", "large_file"});
  write(tree.root() / "src/group.txt", "x", 0664);
  CHECK(scan_file(ws, "src/group.txt").findings.empty());

  // Not a regular file.
  auto dir = scan_file(ws, "src");
  CHECK(dir.skipped == "not a regular file");
  CHECK(dir.findings.empty());
}

TEST_CASE("scan_file numbers lines across read chunks", "[secrets]") {
  fixture_tree tree;
  auto ws = open_ws(tree.root());
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "line number " + std::to_string(i + 1) + "\n";
  text += "api_key = \"zyxwvutsrq\"\r\n";
  text += "last AKIAIOSFODNN7EXAMPLE";
  write(tree.root() / "long.txt", text);
  auto scan = scan_file(ws, "long.txt");
  CHECK(scan.bytes_scanned == text.size());
  REQUIRE(scan.findings.size() == 2);
  CHECK(scan.findings[0].line == 20001);
  CHECK(scan.findings[0].excerpt == "api_key = \"********\"");
  CHECK(scan.findings[1].line == 20002);
  CHECK(scan.findings[1].rule == "aws_access_key");
}
