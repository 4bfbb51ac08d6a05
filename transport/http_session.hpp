#pragma once

#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "transport/http_types.hpp"
#include "transport/session_state.hpp"

// Private to transport/.

namespace switchboard::transport {

/// The request type read from the socket.
using beast_request =
    boost::beast::http::request<boost::beast::http::string_body>;

/// Serves HTTP on an accepted socket until the peer leaves or upgrades.
void start_http_session(server_state_ptr st, boost::asio::ip::tcp::socket sock);

/// Converts a Beast request into the handler's Beast-free form.
http_request to_http_request(const beast_request& req, std::string remote);

/// Formats an endpoint as "ip:port" ("[ip]:port" for IPv6).
std::string to_string(const boost::asio::ip::tcp::endpoint& ep);

} // namespace switchboard::transport
