#include "cluster/node_agent.hpp"

#include <variant>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "actors/error.hpp"
#include "actors/task_manager.hpp"
#include "cluster/admission.hpp"
#include "cluster/task_relay.hpp"
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

// Tells the manager the other nodes and their loads.
void report_load(self_ptr self) {
  auto& st = self->state;
  if (st.setup.changed)
    st.setup.changed(list_of(self));
  if (!st.setup.manager)
    return;
  std::vector<actors::peer_node> peers;
  for (auto& [name, m] : st.members)
    peers.push_back(
        actors::peer_node{name, m.info.kinds, m.info.running, m.info.draining});
  self->send(st.setup.manager, actors::remote_atom::value,
             caf::actor_cast<actors::task_door_actor>(self), std::move(peers));
}

// Tells everyone who cares that the members changed.
void report(self_ptr self) {
  auto& st = self->state;
  report_load(self);
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
            auto& me = self->state.setup.self;
            self->request(agent, timeout, join_atom::value, me,
                          join_proof(self->state.setup.secret, me))
                .then(
                    [=](const member_list& ms, const std::string& proof) {
                      self->state.dialling.erase(to);
                      if (ms.empty())
                        return;
                      // The member proves the secret too: a node that
                      // answers on a seed's address is not trusted on that
                      // alone.
                      if (!proof_ok(self->state.setup.secret, ms.front(),
                                    proof)) {
                        log::warn("cluster: a node does not know the "
                                  "cluster secret; not joined",
                                  {{"address", text_of(to)},
                                   {"node", ms.front().name}});
                        return;
                      }
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

// Asks the manager for this node's load and tells every member when it
// changed.
void share_load(self_ptr self) {
  auto& st = self->state;
  if (!st.setup.manager)
    return;
  self->request(st.setup.manager, st.setup.timeout, actors::load_atom::value)
      .then(
          [=](uint64_t running, bool draining) {
            auto& me = self->state.setup.self;
            if (me.running == running && me.draining == draining)
              return;
            me.running = running;
            me.draining = draining;
            for (auto& [name, m] : self->state.members)
              self->send(m.agent, actors::load_atom::value, me.name, running,
                         draining);
            if (self->state.setup.changed)
              self->state.setup.changed(list_of(self));
          },
          [=](caf::error&) {});
}

// Answers a lookup or start aimed at another node: `node`'s agent, or
// `node_lost` when it is not a member.
std::variant<node_agent_actor, caf::error>
member_agent(self_ptr self, const std::string& node) {
  auto i = self->state.members.find(node);
  if (i == self->state.members.end())
    return actors::make_error(protocol::error_code::node_lost,
                              "node " + node + " is not in the cluster");
  return i->second.agent;
}

// True when the message being handled comes from this node or from a
// member: only members may use the agent (BASP lets any peer that reaches
// the port send to it).
bool from_member(self_ptr self) {
  auto& src = self->current_sender();
  if (!src)
    return false;
  if (src->node() == self->node())
    return true;
  for (auto& [name, m] : self->state.members)
    if (m.agent.node() == src->node())
      return true;
  return false;
}

caf::error refused() {
  return actors::make_error(protocol::error_code::forbidden,
                            "this node is not a member of the cluster");
}

// Where a door message for `node` goes, once its sender is known to be
// this node or a member: nothing (this node's manager takes it), `node`'s
// agent, or why not.
using route = std::variant<std::monostate, node_agent_actor, caf::error>;

route route_to(self_ptr self, const std::string& node) {
  if (!from_member(self))
    return refused();
  if (node == self->state.setup.self.name)
    return std::monostate{};
  auto agent = member_agent(self, node);
  if (auto* err = std::get_if<caf::error>(&agent))
    return std::move(*err);
  return std::get<node_agent_actor>(agent);
}

task_relay_actor spawn_relay(self_ptr self, std::string task_id,
                             std::string node, actors::task_actor remote,
                             const node_agent_actor& door) {
  relay_setup rs;
  rs.task_id = std::move(task_id);
  rs.node = std::move(node);
  rs.remote = std::move(remote);
  rs.door = caf::actor_cast<actors::task_door_actor>(door);
  rs.parent = self->address();
  return self->spawn(task_relay, std::move(rs));
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
      [=](join_atom, const node_info& info,
          const std::string& proof) -> caf::result<member_list, std::string> {
        auto& st = self->state;
        if (!proof_ok(st.setup.secret, info, proof)) {
          log::warn("cluster: refused a node that does not know the cluster "
                    "secret",
                    {{"node", info.name}, {"address", info.host}});
          return actors::make_error(protocol::error_code::forbidden,
                                    "wrong cluster secret");
        }
        auto result = list_of(self);
        admit(self, info,
              caf::actor_cast<node_agent_actor>(self->current_sender()));
        return {std::move(result), join_proof(st.setup.secret, st.setup.self)};
      },
      [=](members_atom) -> caf::result<member_list> {
        if (!from_member(self))
          return refused();
        return list_of(self);
      },
      [=](actors::call_atom, std::string& caller, std::string& call_id,
          std::string& tool, std::string& args) -> caf::result<std::string> {
        if (!from_member(self))
          return refused();
        // The registry answers the calling node directly.
        return self->delegate(self->state.setup.registry,
                              actors::call_atom::value, std::move(caller),
                              std::move(call_id), std::move(tool),
                              std::move(args));
      },
      [=](actors::cancel_atom, std::string& caller, std::string& call_id) {
        if (!from_member(self))
          return;
        self->send(self->state.setup.registry, actors::cancel_atom::value,
                   std::move(caller), std::move(call_id));
      },
      [=](actors::start_atom, std::string& node, std::string& kind,
          std::string& params,
          std::string& owner) -> caf::result<std::string, actors::task_actor> {
        auto& st = self->state;
        auto to = route_to(self, node);
        if (auto* err = std::get_if<caf::error>(&to))
          return std::move(*err);
        if (std::holds_alternative<std::monostate>(to))
          return self->delegate(st.setup.manager, actors::start_atom::value,
                                actors::here_atom::value, std::move(kind),
                                std::move(params), std::move(owner));
        auto door = std::get<node_agent_actor>(to);
        auto promise =
            self->make_response_promise<std::string, actors::task_actor>();
        self->request(door, st.setup.timeout, actors::start_atom::value, node,
                      std::move(kind), std::move(params), std::move(owner))
            .then(
                [=](std::string& id, actors::task_actor& t) mutable {
                  auto relay = spawn_relay(self, id, node, std::move(t), door);
                  promise.deliver(std::move(id),
                                  caf::actor_cast<actors::task_actor>(relay));
                },
                [=](caf::error& err) mutable { promise.deliver(err); });
        return promise;
      },
      [=](actors::start_atom, std::string& node, std::string& kind,
          std::string& params, std::string& owner, actors::event_sink& sink,
          bool coalesce) -> caf::result<actors::subscription> {
        auto& st = self->state;
        auto to = route_to(self, node);
        if (auto* err = std::get_if<caf::error>(&to))
          return std::move(*err);
        if (std::holds_alternative<std::monostate>(to))
          return self->delegate(st.setup.manager, actors::start_atom::value,
                                actors::here_atom::value, std::move(kind),
                                std::move(params), std::move(owner),
                                std::move(sink), coalesce);
        // The relay starts it, so that the task's answer and its events
        // reach the relay in order.
        auto relay =
            spawn_relay(self, {}, node, {}, std::get<node_agent_actor>(to));
        return self->delegate(relay, actors::start_atom::value, std::move(node),
                              std::move(kind), std::move(params),
                              std::move(owner), std::move(sink), coalesce);
      },
      [=](actors::get_atom, std::string& id,
          std::string& principal) -> caf::result<actors::task_actor> {
        auto& st = self->state;
        auto node = std::string{actors::node_of_task(id)};
        auto to = route_to(self, node.empty() ? st.setup.self.name : node);
        if (auto* err = std::get_if<caf::error>(&to))
          return std::move(*err);
        if (std::holds_alternative<std::monostate>(to))
          return self->delegate(st.setup.manager, actors::get_atom::value,
                                std::move(id), std::move(principal));
        auto door = std::get<node_agent_actor>(to);
        auto promise = self->make_response_promise<actors::task_actor>();
        self->request(door, st.setup.timeout, actors::get_atom::value, id,
                      std::move(principal))
            .then(
                [=](actors::task_actor& t) mutable {
                  auto relay = spawn_relay(self, id, node, std::move(t), door);
                  promise.deliver(caf::actor_cast<actors::task_actor>(relay));
                },
                [=](caf::error& err) mutable { promise.deliver(err); });
        return promise;
      },
      [=](actors::list_atom, std::string& node, std::string& principal,
          protocol::task_filter& filter, uint64_t limit, std::string& cursor)
          -> caf::result<std::vector<protocol::task_info>, std::string> {
        auto& st = self->state;
        auto to = route_to(self, node);
        if (auto* err = std::get_if<caf::error>(&to))
          return std::move(*err);
        if (std::holds_alternative<std::monostate>(to))
          return self->delegate(st.setup.manager, actors::list_atom::value,
                                actors::here_atom::value, std::move(principal),
                                std::move(filter), limit, std::move(cursor));
        return self->delegate(std::get<node_agent_actor>(to),
                              actors::list_atom::value, std::move(node),
                              std::move(principal), std::move(filter), limit,
                              std::move(cursor));
      },
      [=](actors::load_atom, std::string& node, uint64_t running,
          bool draining) {
        if (!from_member(self))
          return;
        auto i = self->state.members.find(node);
        if (i == self->state.members.end())
          return;
        i->second.info.running = running;
        i->second.info.draining = draining;
        report_load(self);
      },
      [=](dial_atom) {
        if (self->state.setup.self.port == 0)
          return;
        share_load(self);
        for (auto& seed : self->state.setup.seeds)
          if (!is_member(self, seed))
            dial(self, seed);
        self->delayed_send(self, self->state.setup.dial_interval,
                           dial_atom::value);
      },
  };
}

} // namespace switchboard::cluster
