#pragma once

#include <string>
#include <variant>
#include <vector>

#include "protocol/error_code.hpp"
#include "transport/http_types.hpp"

namespace switchboard::app {

/// Decides who may talk to the server: bearer tokens (from the
/// `Authorization` header, the `access_token` query parameter or a
/// `bearer.TOKEN` entry of `Sec-WebSocket-Protocol`) and browser origins
/// (the server's own host plus an allow-list).
class access_policy {
 public:
  /// Creates a policy; with no tokens, everyone is the same anonymous
  /// principal.
  access_policy(std::vector<std::string> tokens,
                std::vector<std::string> allowed_origins);

  /// Returns whether tokens are required.
  bool auth_enabled() const noexcept {
    return !tokens_.empty();
  }

  /// Returns the principal of `req` ("" without auth, "token-N" with), or
  /// `forbidden` for a foreign Origin or `unauthorized` for a missing or
  /// wrong token.
  std::variant<std::string, protocol::error_code>
  check(const transport::http_request& req) const;

 private:
  std::vector<std::string> tokens_;
  std::vector<std::string> origins_;
};

} // namespace switchboard::app
