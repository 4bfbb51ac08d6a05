#include "app/gateway.hpp"

#include <caf/all.hpp>

#include "app/static_files.hpp"
#include "protocol/encoder.hpp"
#include "ws/session.hpp"

namespace switchboard::app {

namespace {

// Hands a connection's inbound messages to its session actor.
class session_inbound : public transport::inbound {
 public:
  session_inbound(gateway& gw, uint64_t id, actors::session_actor session)
      : gw_(gw), id_(id), session_(std::move(session)) {}

  void on_text(std::string text) override {
    caf::anon_send(session_, actors::text_atom::value, std::move(text));
  }

  void on_binary() override {
    caf::anon_send(session_, actors::binary_atom::value);
  }

  void on_too_large() override {
    caf::anon_send(session_, actors::too_large_atom::value);
  }

  void on_closed() override {
    caf::anon_send(session_, actors::closed_atom::value);
    gw_.forget(id_);
  }

 private:
  gateway& gw_;
  uint64_t id_;
  actors::session_actor session_;
};

} // namespace

gateway::gateway(caf::actor_system& sys, actors::task_manager_actor manager,
                 actors::tool_registry_actor registry, settings s)
    : sys_(sys),
      manager_(std::move(manager)),
      registry_(std::move(registry)),
      settings_(std::move(s)) {
  http_.manager = manager_;
  http_.registry = registry_;
  http_.limits = settings_.limits;
  http_.heartbeat = settings_.heartbeat;
  http_.status = settings_.status;
  http_.metrics = settings_.metrics;
}

transport::inbound_ptr
gateway::on_websocket(transport::connection_ptr conn,
                      const transport::http_request& req) {
  std::string principal;
  if (settings_.access) {
    auto checked = settings_.access->check(req);
    if (std::holds_alternative<protocol::error_code>(checked))
      return nullptr; // The transport closes with 1008.
    principal = std::get<std::string>(checked);
  }
  ws::session_setup setup;
  setup.principal = std::move(principal);
  setup.status = settings_.status;
  setup.rate_limit = settings_.rate_limit;
  setup.metrics = settings_.metrics;
  setup.conn = std::move(conn);
  setup.manager = manager_;
  setup.registry = registry_;
  setup.heartbeat = settings_.heartbeat;
  setup.limits = settings_.limits;
  setup.server = settings_.server;
  auto session = sys_.spawn(ws::session, std::move(setup));
  uint64_t id;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    id = next_id_++;
    sessions_.emplace(id, session);
  }
  return std::make_shared<session_inbound>(*this, id, std::move(session));
}

std::optional<transport::http_response>
gateway::screen(const transport::http_request& req) {
  // Before any routing, so that a page that rebinds its own name to this
  // machine reaches nothing: not the API, not a WebSocket, not the web app.
  if (!settings_.access || settings_.access->host_allowed(req))
    return std::nullopt;
  return transport::http_response{
      protocol::http_status(protocol::error_code::forbidden),
      "application/json",
      protocol::encode_error({}, protocol::error_code::forbidden,
                             "this server does not answer to that Host; "
                             "see --allowed-hosts"),
      {}};
}

void gateway::on_http(transport::http_request req,
                      transport::http_exchange_ptr ex) {
  if (is_static_request(req)) // The web app's files carry no secrets.
    return serve_static(SWITCHBOARD_WEB_ROOT, req, ex);
  std::string principal;
  if (settings_.access) {
    auto checked = settings_.access->check(req);
    if (auto* code = std::get_if<protocol::error_code>(&checked)) {
      transport::http_response res{
          protocol::http_status(*code),
          "application/json",
          protocol::encode_error({}, *code,
                                 *code == protocol::error_code::forbidden
                                     ? "origin not allowed"
                                     : "a valid bearer token is required"),
          {}};
      if (*code == protocol::error_code::unauthorized)
        res.headers.emplace_back("WWW-Authenticate", "Bearer");
      ex->respond(std::move(res));
      return;
    }
    principal = std::get<std::string>(checked);
  }
  http::serve(sys_, http_, std::move(principal), std::move(req), std::move(ex));
}

void gateway::announce_shutdown(int64_t grace_ms) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& [id, s] : sessions_)
    caf::anon_send(s, actors::shutdown_atom::value, grace_ms);
}

void gateway::announce_tools(std::string text) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& [id, s] : sessions_)
    caf::anon_send(s, actors::notice_atom::value, text);
}

void gateway::close_sessions(uint16_t code) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& [id, s] : sessions_)
    caf::anon_send(s, actors::close_atom::value, code);
}

void gateway::end_sessions() {
  std::map<uint64_t, actors::session_actor> sessions;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    sessions.swap(sessions_);
  }
  for (auto& [id, s] : sessions)
    caf::anon_send(s, actors::closed_atom::value);
}

void gateway::forget(uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  sessions_.erase(id);
  cv_.notify_all();
}

bool gateway::wait_sessions_closed(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> guard{mtx_};
  return cv_.wait_for(guard, timeout, [this] { return sessions_.empty(); });
}

} // namespace switchboard::app
