#include "app/gateway.hpp"

#include <caf/all.hpp>

#include "actors/http_api.hpp"
#include "actors/session.hpp"
#include "protocol/encoder.hpp"

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
}

transport::inbound_ptr gateway::on_websocket(transport::connection_ptr conn,
                                             const transport::http_request&) {
  actors::session_setup setup;
  setup.conn = std::move(conn);
  setup.manager = manager_;
  setup.registry = registry_;
  setup.heartbeat = settings_.heartbeat;
  setup.limits = settings_.limits;
  setup.server = settings_.server;
  auto session = sys_.spawn(actors::session, std::move(setup));
  uint64_t id;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    id = next_id_++;
    sessions_.emplace(id, session);
  }
  return std::make_shared<session_inbound>(*this, id, std::move(session));
}

void gateway::on_http(transport::http_request req,
                      transport::http_exchange_ptr ex) {
  actors::serve_http(sys_, http_, std::move(req), std::move(ex));
}

void gateway::close_sessions() {
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
}

} // namespace switchboard::app
