#include "cluster/node_agent.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "log/logger.hpp"

namespace switchboard::cluster {

namespace {

using self_ptr = node_agent_actor::stateful_pointer<agent_state>;

std::string text_of(const address& a) {
  return a.first + ":" + std::to_string(a.second);
}

member_list list_of(self_ptr self) {
  auto& st = self->state;
  member_list out{st.setup.self};
  for (auto& [name, m] : st.members)
    out.push_back(m.info);
  return out;
}

void report(self_ptr self) {
  auto& st = self->state;
  if (st.setup.changed)
    st.setup.changed(list_of(self));
  if (!st.setup.registry)
    return;
  std::vector<actors::remote_catalog> catalogs;
  for (auto& [name, m] : st.members)
    catalogs.push_back(actors::remote_catalog{
        name, caf::actor_cast<actors::remote_tools_actor>(m.agent),
        m.info.tools});
  self->send(st.setup.registry, actors::remote_atom::value,
             std::move(catalogs));
}

void admit(self_ptr self, const node_info& info, node_agent_actor agent) {
  auto& st = self->state;
  if (info.name == st.setup.self.name) {
    if (info.incarnation != st.setup.self.incarnation)
      log::warn("cluster: another node uses this node's name",
                {{"node", info.name}, {"address", info.host}});
    return;
  }
  auto i = st.members.find(info.name);
  if (i != st.members.end()) {
    if (i->second.info.incarnation == info.incarnation)
      return;
    // The node restarted before its loss was noticed: the new run
    // replaces the old one.
    self->demonitor(i->second.agent.address());
    st.members.erase(i);
  }
  self->monitor(agent);
  st.members.emplace(info.name, agent_state::member{info, agent});
  log::info(
      "cluster: node joined",
      {{"node", info.name}, {"address", text_of({info.host, info.port})}});
  report(self);
}

void dial(self_ptr self, const address& to) {
  auto& st = self->state;
  if (st.own.count(to) || !st.dialling.insert(to).second)
    return;
  auto mm = self->home_system().middleman().actor_handle();
  auto timeout = st.setup.timeout;
  // The middleman's own connect, asked by message: `remote_actor` would
  // block this actor's thread for as long as the handshake takes.
  self->request(mm, timeout, caf::connect_atom::value, to.first, to.second)
      .then(
          [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
              const std::set<std::string>& ifs) {
            auto& sys = self->home_system();
            if (!ptr ||
                !sys.assignable(ifs, sys.message_types<node_agent_actor>())) {
              self->state.dialling.erase(to);
              log::warn("cluster: no Switchboard node at this address",
                        {{"address", text_of(to)}});
              return;
            }
            auto agent = caf::actor_cast<node_agent_actor>(std::move(ptr));
            self->request(agent, timeout, join_atom::value,
                          self->state.setup.self)
                .then(
                    [=](const member_list& ms) {
                      self->state.dialling.erase(to);
                      if (ms.empty())
                        return;
                      // The answering agent lists itself first.
                      if (ms.front().name == self->state.setup.self.name &&
                          ms.front().incarnation ==
                              self->state.setup.self.incarnation) {
                        self->state.own.insert(to);
                        return;
                      }
                      admit(self, ms.front(), agent);
                      for (size_t i = 1; i < ms.size(); ++i)
                        if (ms[i].name != self->state.setup.self.name &&
                            self->state.members.count(ms[i].name) == 0)
                          dial(self, {ms[i].host, ms[i].port});
                    },
                    [=](caf::error& err) {
                      self->state.dialling.erase(to);
                      log::warn("cluster: join failed",
                                {{"address", text_of(to)},
                                 {"error", caf::to_string(err)}});
                    });
          },
          [=](caf::error& err) {
            // Retried at the next dial tick (CAF 0.17 may also fail a
            // handshake to a healthy node when a heartbeat lands in it).
            self->state.dialling.erase(to);
            log::debug(
                "cluster: cannot reach node",
                {{"address", text_of(to)}, {"error", caf::to_string(err)}});
          });
}

bool is_member(self_ptr self, const address& a) {
  for (auto& [name, m] : self->state.members)
    if (m.info.host == a.first && m.info.port == a.second)
      return true;
  return false;
}

} // namespace

node_agent_actor::behavior_type
node_agent(node_agent_actor::stateful_pointer<agent_state> self,
           agent_setup setup) {
  self->state.setup = std::move(setup);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& members = self->state.members;
    for (auto i = members.begin(); i != members.end(); ++i) {
      if (i->second.agent.address() != dm.source)
        continue;
      if (dm.reason == caf::exit_reason::user_shutdown) {
        log::info("cluster: node left", {{"node", i->first}});
      } else {
        log::warn("cluster: node lost",
                  {{"node", i->first}, {"reason", caf::to_string(dm.reason)}});
        if (self->state.setup.lost)
          self->state.setup.lost(i->first);
      }
      members.erase(i);
      report(self);
      return;
    }
  });
  return {
      [=](listen_atom, uint16_t port) {
        self->state.setup.self.port = port;
        report(self);
        self->send(self, dial_atom::value);
      },
      [=](join_atom, const node_info& info) {
        auto result = list_of(self);
        admit(self, info,
              caf::actor_cast<node_agent_actor>(self->current_sender()));
        return result;
      },
      [=](members_atom) { return list_of(self); },
      [=](actors::call_atom, std::string& caller, std::string& call_id,
          std::string& tool, std::string& args) {
        // The registry answers the calling node directly.
        return self->delegate(self->state.setup.registry,
                              actors::call_atom::value, std::move(caller),
                              std::move(call_id), std::move(tool),
                              std::move(args));
      },
      [=](actors::cancel_atom, std::string& caller, std::string& call_id) {
        self->send(self->state.setup.registry, actors::cancel_atom::value,
                   std::move(caller), std::move(call_id));
      },
      [=](dial_atom) {
        if (self->state.setup.self.port == 0)
          return;
        for (auto& seed : self->state.setup.seeds)
          if (!is_member(self, seed))
            dial(self, seed);
        self->delayed_send(self, self->state.setup.dial_interval,
                           dial_atom::value);
      },
  };
}

} // namespace switchboard::cluster
