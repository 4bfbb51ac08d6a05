#include "app/access.hpp"

#include <openssl/crypto.h>

namespace switchboard::app {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Returns the host[:port] part of an origin such as "http://a.b:8080".
std::string origin_host(const std::string& origin) {
  auto p = origin.find("://");
  return lower(p == std::string::npos ? origin : origin.substr(p + 3));
}

// Collects the tokens a request presents.
std::vector<std::string> presented(const transport::http_request& req) {
  std::vector<std::string> result;
  auto auth = req.header("authorization");
  if (lower(auth.substr(0, 7)) == "bearer ")
    result.push_back(auth.substr(7));
  if (auto t = req.query_param("access_token"); t && !t->empty())
    result.push_back(*t);
  for (auto& item : transport::split_list(req.header("sec-websocket-protocol")))
    if (item.rfind("bearer.", 0) == 0)
      result.push_back(item.substr(7));
  return result;
}

// Compares in constant time so that timing tells nothing about a token.
bool same(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

access_policy::access_policy(std::vector<std::string> tokens,
                             std::vector<std::string> allowed_origins)
    : tokens_(std::move(tokens)) {
  for (auto& o : allowed_origins)
    origins_.push_back(lower(o));
}

std::variant<std::string, protocol::error_code>
access_policy::check(const transport::http_request& req) const {
  auto origin = req.header("origin");
  if (!origin.empty()) {
    auto ok = origin_host(origin) == lower(req.header("host"));
    for (auto& o : origins_)
      ok = ok || o == lower(origin) || o == "*";
    if (!ok)
      return protocol::error_code::forbidden;
  }
  if (tokens_.empty())
    return std::string{};
  for (auto& t : presented(req))
    for (size_t i = 0; i < tokens_.size(); ++i)
      if (same(t, tokens_[i]))
        return "token-" + std::to_string(i + 1);
  return protocol::error_code::unauthorized;
}

} // namespace switchboard::app
