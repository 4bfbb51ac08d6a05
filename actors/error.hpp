#pragma once

#include <string>

#include <caf/error.hpp>

#include "protocol/error_code.hpp"

namespace switchboard::actors {

/// The category of Switchboard's errors inside `caf::error`.
constexpr caf::atom_value error_category = caf::atom("switchbrd");

/// Returns a `caf::error` carrying a protocol error code and a reason.
caf::error make_error(protocol::error_code code, std::string message);

/// A protocol error code with its reason.
struct error_info {
  /// The protocol error code.
  protocol::error_code code;
  /// The reason for people.
  std::string message;
};

/// Maps any `caf::error` to a protocol error: ours keep their code, CAF's
/// request timeouts become `timeout`, a dead receiver `node_lost` or
/// `internal`, everything else `internal`.
error_info describe(const caf::error& err);

/// Renders our errors for CAF's logging.
std::string render_error(uint8_t code, caf::atom_value category,
                         const caf::message& ctx);

} // namespace switchboard::actors
