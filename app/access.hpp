#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/error_code.hpp"
#include "transport/http_types.hpp"

namespace switchboard::app {

/// Decides who may talk to the server: which `Host` names it answers to
/// (against DNS rebinding), which browser origins may use it, and bearer
/// tokens (from the `Authorization` header, the `access_token` query
/// parameter or a `bearer.TOKEN` entry of `Sec-WebSocket-Protocol`).
class access_policy {
 public:
  /// What the policy is built from.
  struct config {
    /// Bearer tokens; empty means no authentication.
    std::vector<std::string> tokens;
    /// Origins (`scheme://host[:port]`, or `*`) allowed besides the
    /// server's own.
    std::vector<std::string> allowed_origins;
    /// Host names allowed besides loopback names and addresses; `*.NAME`
    /// matches subdomains of NAME, `*` matches any host.
    std::vector<std::string> allowed_hosts;
    /// The address the server binds; a literal address is allowed as Host,
    /// and a wildcard bind (`0.0.0.0`, `::`) allows every literal address.
    std::string bind_host = "127.0.0.1";
  };

  /// Creates a policy; with no tokens, everyone is the same anonymous
  /// principal.
  explicit access_policy(config cfg);

  /// Returns whether tokens are required.
  bool auth_enabled() const noexcept {
    return !tokens_.empty();
  }

  /// Returns whether the request's `Host` header names this server (a
  /// request without one is allowed: no browser sends such a request).
  bool host_allowed(const transport::http_request& req) const;

  /// Returns the principal of `req` ("" without auth, "token-N" with), or
  /// `forbidden` for a foreign Origin or `unauthorized` for a missing or
  /// wrong token.
  std::variant<std::string, protocol::error_code>
  check(const transport::http_request& req) const;

 private:
  struct origin {
    std::string scheme;
    std::string host;
    uint16_t port = 0;
    bool operator==(const origin&) const = default;
  };

  static std::optional<origin> parse_origin(const std::string& text);

  bool origin_allowed(const transport::http_request& req) const;

  std::vector<std::string> tokens_;
  std::vector<origin> origins_;
  bool any_origin_ = false;
  std::vector<std::string> hosts_;
  std::string bind_host_;
  bool wildcard_bind_ = false;
};

/// Returns whether `host` (a name or a literal address, IPv6 without
/// brackets) is a loopback name or address: `localhost`, `*.localhost`,
/// 127.0.0.0/8, `::1` or `::ffff:127.x.y.z`. Parses addresses; "127.evil.com"
/// is not loopback.
bool is_loopback(const std::string& host);

} // namespace switchboard::app
