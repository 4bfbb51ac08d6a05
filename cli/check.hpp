#pragma once

#include "cli/exit_code.hpp"
#include "cli/session.hpp"

namespace switchboard::cli {

/// `check`: a smoke test of a live deployment. Runs each step (hello, ping,
/// list_tools, a tool call, an audit over WebSocket, a triage answered
/// automatically, a stopped ticker, an audit over SSE with a resume,
/// `/healthz`, `/readyz`, `/metrics`), prints one line per step with ok or
/// FAILED and its time, and returns ok only when every step passed (else
/// failed).
exit_code run_check(const global_options& options);

} // namespace switchboard::cli
