#include "app/static_files.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "protocol/json.hpp"
#include "util/hex.hpp"

namespace switchboard::app {

namespace fs = std::filesystem;
using transport::http_exchange_ptr;
using transport::http_request;
using transport::http_response;

namespace {

constexpr const char* cache_immutable = "public, max-age=31536000, immutable";
constexpr const char* cache_revalidate = "no-cache";

// The one error encoder (protocol::error_json), with this file's statuses.
http_response error_json(int status, std::string_view code,
                         std::string_view message) {
  return http_response{
      status, "application/json", protocol::error_json(code, message), {}};
}

using util::hex_value;

// Percent-decodes a URL path; nullopt when malformed or when it decodes to
// something no file name should hold (NUL, backslash).
std::optional<std::string> decode_path(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size())
        return std::nullopt;
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0' || c == '\\')
      return std::nullopt;
    out += c;
  }
  return out;
}

// Splits a decoded path into its segments; nullopt when any segment is "..".
std::optional<std::vector<std::string>> segments(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    auto j = path.find('/', i);
    if (j == std::string::npos)
      j = path.size();
    auto part = path.substr(i, j - i);
    if (part == "..")
      return std::nullopt;
    if (!part.empty() && part != ".")
      parts.push_back(std::move(part));
    i = j + 1;
  }
  return parts;
}

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad())
    return std::nullopt;
  return std::move(buf).str();
}

bool is_regular(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// True when `p` (resolved) lies inside `root` (resolved).
bool inside(const fs::path& root, const fs::path& p) {
  std::error_code ec;
  auto r = fs::weakly_canonical(root, ec);
  if (ec)
    return false;
  auto c = fs::weakly_canonical(p, ec);
  if (ec)
    return false;
  auto ri = r.begin();
  auto ci = c.begin();
  for (; ri != r.end(); ++ri, ++ci) {
    if (ci == c.end() || *ri != *ci)
      return false;
  }
  return true;
}

void send_file(const http_request& req, const http_exchange_ptr& ex,
               const fs::path& file, std::string_view name, const char* cache) {
  auto body = read_file(file);
  if (!body) {
    ex->respond(error_json(500, "internal", "cannot read a web app file"));
    return;
  }
  http_response res{200, content_type_for(name), {}, {}};
  if (req.method != "HEAD")
    res.body = std::move(*body);
  res.headers.emplace_back("Cache-Control", cache);
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  ex->respond(std::move(res));
}

} // namespace

bool is_static_request(const http_request& req) {
  if (req.method != "GET" && req.method != "HEAD")
    return false;
  const auto& p = req.path;
  return !(p == "/api" || p.starts_with("/api/") || p == "/ws" ||
           p == "/healthz" || p == "/readyz" || p == "/metrics");
}

std::string content_type_for(std::string_view file_name) {
  auto dot = file_name.rfind('.');
  auto slash = file_name.rfind('/');
  if (dot == std::string_view::npos ||
      (slash != std::string_view::npos && dot < slash))
    return "application/octet-stream";
  std::string ext{file_name.substr(dot + 1)};
  for (auto& c : ext)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, const char*> types[] = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"txt", "text/plain; charset=utf-8"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"otf", "font/otf"},
      {"wasm", "application/wasm"},
  };
  for (auto& [e, type] : types)
    if (ext == e)
      return type;
  return "application/octet-stream";
}

void serve_static(const std::string& root, const http_request& req,
                  const http_exchange_ptr& ex) {
  if (req.method != "GET" && req.method != "HEAD") {
    auto res = error_json(405, "bad_message", "method not allowed");
    res.headers.emplace_back("Allow", "GET, HEAD");
    ex->respond(std::move(res));
    return;
  }
  fs::path base{root};
  auto index = base / "index.html";
  if (!is_regular(index)) {
    ex->respond(
        http_response{503,
                      "text/plain; charset=utf-8",
                      "The Switchboard web UI has not been built.\n"
                      "Build it with:  cd web && npm ci && npm run build\n"
                      "(or start the server with: bash scripts/run.sh)\n"
                      "Expected it in: " +
                          root + "\n",
                      {{"Cache-Control", "no-store"}}});
    return;
  }
  auto decoded = decode_path(req.path);
  auto parts = decoded ? segments(*decoded) : std::nullopt;
  if (!parts) {
    ex->respond(error_json(400, "bad_message", "bad path"));
    return;
  }
  if (parts->empty()) {
    send_file(req, ex, index, "index.html", cache_revalidate);
    return;
  }
  fs::path file = base;
  for (auto& part : *parts)
    file /= part;
  const auto& last = parts->back();
  if (is_regular(file) && inside(base, file)) {
    bool hashed = parts->size() > 1 && (*parts)[0] == "assets";
    send_file(req, ex, file, last, hashed ? cache_immutable : cache_revalidate);
    return;
  }
  if (last.find('.') != std::string::npos) {
    ex->respond(error_json(404, "bad_message", "no such file: " + req.path));
    return;
  }
  // A route of the single-page app: the app itself decides what to show.
  send_file(req, ex, index, "index.html", cache_revalidate);
}

} // namespace switchboard::app
