#pragma once

#include <string>

#include <boost/beast/core/tcp_stream.hpp>

#include "transport/http_session.hpp"

// Private to transport/.

namespace switchboard::transport {

/// Accepts the upgrade `req` already read from `stream` and serves the
/// WebSocket; called on the stream's strand.
void start_websocket_session(server_state_ptr st,
                             boost::beast::tcp_stream stream, beast_request req,
                             std::string remote);

} // namespace switchboard::transport
