#include "app/access.hpp"

#include <charconv>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>

namespace switchboard::app {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Splits "name", "name:port", "[v6]" or "[v6]:port" into a lower-case name
// (brackets removed, one trailing dot dropped) and the port text.
std::optional<std::pair<std::string, std::string>>
split_host(const std::string& text) {
  std::string name, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos)
      return std::nullopt;
    name = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    auto colon = text.find(':');
    name = text.substr(0, colon);
    if (colon != std::string::npos) {
      port = text.substr(colon + 1);
      if (port.find(':') != std::string::npos)
        return std::nullopt;
    }
  }
  name = lower(std::move(name));
  if (!name.empty() && name.back() == '.')
    name.pop_back();
  if (name.empty())
    return std::nullopt;
  return std::make_pair(std::move(name), std::move(port));
}

std::optional<uint16_t> parse_port(const std::string& text) {
  uint16_t x = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size())
    return std::nullopt;
  return x;
}

bool is_address(const std::string& host) {
  in_addr a4;
  in6_addr a6;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Collects the tokens a request presents.
std::vector<std::string> presented(const transport::http_request& req) {
  std::vector<std::string> result;
  auto auth = req.header("authorization");
  if (lower(auth.substr(0, 7)) == "bearer ")
    result.push_back(auth.substr(7));
  if (auto t = req.query_param("access_token"); t && !t->empty())
    result.push_back(*t);
  for (auto& item : util::split_list(req.header("sec-websocket-protocol")))
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

bool is_loopback(const std::string& host) {
  auto h = lower(host);
  if (h == "localhost" || ends_with(h, ".localhost"))
    return true;
  in_addr a4;
  if (inet_pton(AF_INET, h.c_str(), &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6;
  if (inet_pton(AF_INET6, h.c_str(), &a6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&a6))
      return true;
    return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
  }
  return false;
}

access_policy::access_policy(config cfg)
    : tokens_(std::move(cfg.tokens)),
      bind_host_(lower(std::move(cfg.bind_host))) {
  for (auto& o : cfg.allowed_origins) {
    if (o == "*")
      any_origin_ = true;
    else if (auto parsed = parse_origin(o))
      origins_.push_back(std::move(*parsed));
  }
  for (auto& h : cfg.allowed_hosts)
    hosts_.push_back(lower(h));
  wildcard_bind_ =
      bind_host_ == "0.0.0.0" || bind_host_ == "::" || bind_host_ == "[::]";
}

std::optional<access_policy::origin>
access_policy::parse_origin(const std::string& text) {
  auto sep = text.find("://");
  if (sep == std::string::npos)
    return std::nullopt;
  origin result;
  result.scheme = lower(text.substr(0, sep));
  if (result.scheme != "http" && result.scheme != "https")
    return std::nullopt;
  auto rest = text.substr(sep + 3);
  if (rest.find_first_of("/?#@") != std::string::npos)
    return std::nullopt;
  auto split = split_host(rest);
  if (!split)
    return std::nullopt;
  result.host = std::move(split->first);
  if (split->second.empty()) {
    result.port = result.scheme == "https" ? 443 : 80;
  } else if (auto p = parse_port(split->second)) {
    result.port = *p;
  } else {
    return std::nullopt;
  }
  return result;
}

bool access_policy::host_allowed(const transport::http_request& req) const {
  auto header = req.header("host");
  if (header.empty())
    return true;
  auto split = split_host(header);
  if (!split || (!split->second.empty() && !parse_port(split->second)))
    return false;
  auto& name = split->first;
  if (is_loopback(name) || name == bind_host_)
    return true;
  // A rebinding page can only make the browser send a name it controls; a
  // literal address is safe wherever the server listens on every address.
  if (wildcard_bind_ && is_address(name))
    return true;
  for (auto& h : hosts_) {
    if (h == "*" || h == name)
      return true;
    if (h.size() > 2 && h.compare(0, 2, "*.") == 0 &&
        ends_with(name, h.substr(1)))
      return true;
  }
  return false;
}

bool access_policy::origin_allowed(const transport::http_request& req) const {
  auto text = req.header("origin");
  if (text.empty() || any_origin_)
    return true;
  auto o = parse_origin(text);
  if (!o)
    return false;
  // The server speaks plain HTTP, so its own origin is http://HOST[:PORT].
  if (auto own = parse_origin("http://" + req.header("host"));
      own && *o == *own)
    return true;
  for (auto& allowed : origins_)
    if (*o == allowed)
      return true;
  return false;
}

std::variant<std::string, protocol::error_code>
access_policy::check(const transport::http_request& req) const {
  if (!host_allowed(req) || !origin_allowed(req))
    return protocol::error_code::forbidden;
  if (tokens_.empty())
    return std::string{};
  for (auto& t : presented(req))
    for (size_t i = 0; i < tokens_.size(); ++i)
      if (same(t, tokens_[i]))
        return "token-" + std::to_string(i + 1);
  return protocol::error_code::unauthorized;
}

} // namespace switchboard::app
