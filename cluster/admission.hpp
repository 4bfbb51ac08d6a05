#pragma once

#include <string>
#include <string_view>

#include "cluster/node_info.hpp"

namespace switchboard::cluster {

/// Returns what a node shows to prove that it knows the cluster's secret:
/// the hex HMAC-SHA256 of its name and incarnation under the secret, or an
/// empty string when there is no secret.
std::string join_proof(std::string_view secret, const node_info& node);

/// True when `proof` is `node`'s proof under `secret` (compared in constant
/// time), or when there is no secret.
bool proof_ok(std::string_view secret, const node_info& node,
              std::string_view proof);

} // namespace switchboard::cluster
