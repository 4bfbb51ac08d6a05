// libFuzzer target for HTTP request handling (issue 4).
//
// Feeds arbitrary bytes, as one connection's worth of pipelined requests, to
// Beast's request_parser with the server's limits (transport/http_session.cpp:
// 16 KiB of header, --max-body-bytes of body), then through the server's own
// code for every request that parses: transport::to_http_request, the
// WebSocket upgrade test, app::access_policy::check (with and without
// tokens), and app::serve_static on a scratch web root. Checks: no crash or
// sanitizer report, only the two configured tokens ever authenticate, and the
// static files handler never answers with a file outside its root.
// Run: bash scripts/fuzz.sh

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <unistd.h>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "app/access.hpp"
#include "app/static_files.hpp"
#include "transport/http_session.hpp"

namespace http = boost::beast::http;
namespace fs = std::filesystem;
namespace sb = switchboard;

namespace {

// The server's limits (transport/http_session.cpp and --max-body-bytes);
// the body limit is lowered so that fuzzing reaches it with short inputs.
constexpr size_t header_limit = 16 * 1024;
constexpr size_t body_limit = 4 * 1024;
constexpr int max_requests = 8;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "http_fuzz: property failed: %s\n", what);
    std::abort();
  }
}

// A web root with index.html and one asset, next to a secret file that must
// never be served.
struct web_root {
  fs::path dir;
  std::string root;
  web_root() {
    dir = fs::temp_directory_path() /
          ("sb-http-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(dir / "root" / "assets");
    write(dir / "root" / "index.html", "<!doctype html>INDEX");
    write(dir / "root" / "assets" / "app-1234.js", "ASSET");
    write(dir / "secret.txt", "SECRET");
    root = (dir / "root").string();
  }
  ~web_root() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  static void write(const fs::path& p, std::string_view text) {
    std::ofstream{p, std::ios::binary} << text;
  }
};

// Records the one response serve_static gives.
struct recorder : sb::transport::http_exchange {
  std::optional<sb::transport::http_response> res;
  void respond(sb::transport::http_response r) override {
    require(!res, "answered once");
    res = std::move(r);
  }
  void start_stream(sb::transport::http_response) override {
    require(false, "static files never stream");
  }
  bool write(sb::protocol::frame) override {
    return false;
  }
  size_t queued_bytes() const override {
    return 0;
  }
  size_t max_queued_bytes() const override {
    return 0;
  }
  void end() override {}
  void on_closed(std::function<void()>) override {}
};

void handle(const http::request<http::string_body>& beast_req) {
  static const web_root web;
  static const sb::app::access_policy with_tokens{
      {{"alpha-token-0123456789", "b"},
       {"http://allowed.example"},
       {"*.allowed.example"},
       "127.0.0.1"}};
  static const sb::app::access_policy open_policy{{}};

  auto req = sb::transport::to_http_request(beast_req, "127.0.0.1:40000");
  require(req.path.find('?') == std::string::npos, "path holds no query");
  for (auto& [name, value] : req.headers)
    for (char c : name)
      require(!(c >= 'A' && c <= 'Z'), "header names are lower case");
  (void)boost::beast::websocket::is_upgrade(beast_req);
  (void)sb::util::split_list(req.header("sec-websocket-protocol"));
  (void)req.query_param("after");

  auto who = with_tokens.check(req);
  if (auto* p = std::get_if<std::string>(&who))
    require(*p == "token-1" || *p == "token-2", "only configured tokens");
  else
    require(std::get<sb::protocol::error_code>(who) ==
                    sb::protocol::error_code::unauthorized ||
                std::get<sb::protocol::error_code>(who) ==
                    sb::protocol::error_code::forbidden,
            "refusals are unauthorized or forbidden");
  auto anyone = open_policy.check(req);
  if (auto* p = std::get_if<std::string>(&anyone))
    require(p->empty(), "no tokens: anonymous principal");
  else
    require(std::get<sb::protocol::error_code>(anyone) ==
                sb::protocol::error_code::forbidden,
            "no tokens: only origins refuse");

  (void)sb::app::content_type_for(req.path);
  if (!sb::app::is_static_request(req))
    return;
  auto ex = std::make_shared<recorder>();
  sb::app::serve_static(web.root, req, ex);
  require(ex->res.has_value(), "serve_static answers");
  auto& res = *ex->res;
  // Error bodies may echo the (fuzzed) path; only served files matter.
  require(res.status != 200 || res.body.find("SECRET") == std::string::npos,
          "nothing outside the root is served");
  require(res.status == 200 || res.status == 400 || res.status == 404,
          "static status is 200, 400 or 404");
  if (res.status == 200 && req.method == "GET")
    require(res.body == "<!doctype html>INDEX" || res.body == "ASSET",
            "200 serves a file of the root");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  for (int n = 0; n < max_requests && !in.empty(); ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!in.empty() && !parser.is_done()) {
      auto used = parser.put(boost::asio::buffer(in.data(), in.size()), ec);
      in.remove_prefix(used);
      if (ec == http::error::need_more) {
        ec = {};
        if (used == 0)
          break;
        continue;
      }
      if (ec || used == 0)
        break;
    }
    if (!ec && !parser.is_done() && parser.got_some()) {
      // End of input: the peer closed (end_of_stream / partial_message).
      parser.put_eof(ec);
    }
    if (ec || !parser.is_done())
      return 0;
    handle(parser.get());
  }
  return 0;
}
