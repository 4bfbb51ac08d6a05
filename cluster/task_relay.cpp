#include "cluster/task_relay.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "log/logger.hpp"
#include "protocol/encoder.hpp"

namespace switchboard::cluster {

using actors::event_frame;
using actors::event_sink;
using actors::subscription;
using protocol::error_code;

std::string node_lost_event(const std::string& task_id, uint64_t seq,
                            const std::string& node) {
  protocol::message_writer w{protocol::to_string(protocol::event_type::error)};
  w.str("task_id", task_id).unum("seq", seq).num("ts", protocol::now_ms());
  w.str("code", protocol::to_string(error_code::node_lost))
      .str("message", "node " + node + " was lost while running the task");
  return w.finish();
}

namespace {

using self_ptr = task_relay_actor::stateful_pointer<relay_state>;

event_sink as_sink(self_ptr self) {
  return caf::actor_cast<event_sink>(self);
}

caf::error lost(self_ptr self) {
  return actors::make_error(error_code::node_lost,
                            "node " + self->state.setup.node + " was lost");
}

// Ends the relay because the remote task went: with its node (any reason
// but `normal`), the sink gets the terminal event it would never get, and
// every request in flight fails with `node_lost`; a task that ended and was
// forgotten (`normal`) fails them with `unknown_task`.
void remote_gone(self_ptr self, const caf::error& reason) {
  auto& st = self->state;
  if (st.sink && !st.ended) {
    auto seq = st.last_seq + 1;
    std::vector<event_frame> evs{
        event_frame{seq, protocol::event_type::error,
                    protocol::make_frame(node_lost_event(st.setup.task_id, seq,
                                                         st.setup.node))}};
    self->send(st.sink, actors::event_atom::value, st.setup.task_id,
               std::move(evs), true);
    st.ended = true;
  }
  auto pending = std::move(st.pending);
  auto err = reason == caf::exit_reason::normal
                 ? actors::make_error(error_code::unknown_task,
                                      "no task " + st.setup.task_id)
                 : lost(self);
  for (auto& [n, fail] : pending)
    fail(err);
  self->quit();
}

// Binds the relay to the first sink that subscribes; answers the sink the
// remote task is to send to (the relay's own, or `sink` itself when the
// relay already serves another one).
event_sink bind_sink(self_ptr self, const event_sink& sink) {
  auto& st = self->state;
  if (!st.sink) {
    st.sink = sink;
    st.ended = false;
    self->monitor(sink);
  }
  return st.sink == sink ? as_sink(self) : sink;
}

// Registers `promise` as a request in flight, failed if the remote task
// goes first; returns its number (erased from `pending` when answered).
template<class... Rs>
uint64_t track(self_ptr self, caf::typed_response_promise<Rs...> promise) {
  auto n = ++self->state.requests;
  self->state.pending.emplace(
      n, [promise](const caf::error& err) mutable { promise.deliver(err); });
  return n;
}

// Sends a request to the remote task and answers it through a promise that
// fails with `node_lost` if the task's node goes first.
template<class... Rs, class... Ts>
caf::result<Rs...> forward(self_ptr self, Ts&&... xs) {
  auto& st = self->state;
  auto promise = self->make_response_promise<Rs...>();
  if (!st.setup.remote) {
    promise.deliver(actors::make_error(error_code::internal,
                                       "the task is not started yet"));
    return promise;
  }
  auto n = track(self, promise);
  self->request(st.setup.remote, caf::infinite, std::forward<Ts>(xs)...)
      .then(
          [=](Rs&... rs) mutable {
            if (self->state.pending.erase(n) > 0)
              promise.deliver(std::move(rs)...);
          },
          [=](caf::error& err) mutable {
            if (self->state.pending.erase(n) > 0)
              promise.deliver(std::move(err));
          });
  return promise;
}

// Takes the remote task's answer to a subscribe made through the relay.
void subscribed(self_ptr self, subscription& sub, bool ours) {
  auto& st = self->state;
  if (!ours)
    return;
  st.setup.task_id = sub.task_id;
  st.last_seq = sub.last_seq;
  st.ended = sub.ended;
  sub.task = caf::actor_cast<caf::strong_actor_ptr>(self);
}

} // namespace

task_relay_actor::behavior_type task_relay(self_ptr self, relay_setup setup) {
  self->state.setup = std::move(setup);
  if (self->state.setup.remote)
    self->monitor(self->state.setup.remote);
  if (self->state.setup.door)
    self->monitor(self->state.setup.door);
  if (auto parent = caf::actor_cast<caf::actor>(self->state.setup.parent))
    self->monitor(parent);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.setup.parent) {
      self->quit();
      return;
    }
    if (st.sink && dm.source == st.sink.address()) {
      // The sink went (its client left): so does its subscription.
      if (st.setup.remote && !st.ended)
        self->send(st.setup.remote, actors::unsubscribe_atom::value,
                   as_sink(self));
      self->quit();
      return;
    }
    if (dm.source == st.setup.remote.address() ||
        (!st.setup.remote && dm.source == st.setup.door.address())) {
      if (dm.reason != caf::exit_reason::normal || !st.ended)
        log::warn("cluster: lost a task's node",
                  {{"task_id", st.setup.task_id},
                   {"node", st.setup.node},
                   {"reason", caf::to_string(dm.reason)}});
      remote_gone(self, dm.reason);
    }
  });
  self->delayed_send(self, self->state.setup.idle, idle_atom::value);
  return {
      [=](actors::start_atom, std::string& node, std::string& kind,
          std::string& params, std::string& owner, event_sink& sink,
          bool coalesce) -> caf::result<subscription> {
        auto& st = self->state;
        st.used = true;
        bind_sink(self, sink);
        auto promise = self->make_response_promise<subscription>();
        auto n = track(self, promise);
        self->request(st.setup.door, caf::infinite, actors::start_atom::value,
                      std::move(node), std::move(kind), std::move(params),
                      std::move(owner), as_sink(self), coalesce)
            .then(
                [=](subscription& sub) mutable {
                  auto& st = self->state;
                  if (st.pending.erase(n) == 0)
                    return;
                  st.setup.remote =
                      caf::actor_cast<actors::task_actor>(sub.task);
                  self->monitor(st.setup.remote);
                  subscribed(self, sub, true);
                  promise.deliver(std::move(sub));
                },
                [=](caf::error& err) mutable {
                  if (self->state.pending.erase(n) > 0)
                    promise.deliver(std::move(err));
                  self->quit();
                });
        return promise;
      },
      [=](actors::subscribe_atom, event_sink& sink, uint64_t after,
          bool coalesce) -> caf::result<subscription> {
        auto& st = self->state;
        st.used = true;
        auto to = bind_sink(self, sink);
        bool ours = to == as_sink(self);
        auto promise = self->make_response_promise<subscription>();
        if (!st.setup.remote) {
          promise.deliver(actors::make_error(error_code::internal,
                                             "the task is not started yet"));
          return promise;
        }
        auto n = track(self, promise);
        self->request(st.setup.remote, caf::infinite,
                      actors::subscribe_atom::value, to, after, coalesce)
            .then(
                [=](subscription& sub) mutable {
                  if (self->state.pending.erase(n) == 0)
                    return;
                  subscribed(self, sub, ours);
                  promise.deliver(std::move(sub));
                },
                [=](caf::error& err) mutable {
                  if (self->state.pending.erase(n) > 0)
                    promise.deliver(std::move(err));
                });
        return promise;
      },
      [=](actors::unsubscribe_atom, event_sink& sink) {
        auto& st = self->state;
        st.used = true;
        if (!st.setup.remote)
          return;
        self->send(st.setup.remote, actors::unsubscribe_atom::value,
                   sink == st.sink ? as_sink(self) : sink);
      },
      [=](actors::credit_atom, event_sink& sink, uint64_t n) {
        auto& st = self->state;
        st.used = true;
        if (!st.setup.remote)
          return;
        self->send(st.setup.remote, actors::credit_atom::value,
                   sink == st.sink ? as_sink(self) : sink, n);
      },
      [=](actors::stop_atom, std::string& reason) -> caf::result<std::string> {
        self->state.used = true;
        return forward<std::string>(self, actors::stop_atom::value,
                                    std::move(reason));
      },
      [=](actors::input_atom, std::string& request_id,
          std::string& value) -> caf::result<actors::ok_atom> {
        self->state.used = true;
        return forward<actors::ok_atom>(self, actors::input_atom::value,
                                        std::move(request_id),
                                        std::move(value));
      },
      [=](actors::get_atom) -> caf::result<protocol::task_info> {
        self->state.used = true;
        return forward<protocol::task_info>(self, actors::get_atom::value);
      },
      [=](actors::snapshot_atom) -> caf::result<std::string> {
        self->state.used = true;
        return forward<std::string>(self, actors::snapshot_atom::value);
      },
      [=](actors::event_atom, std::string& task_id,
          std::vector<event_frame>& evs, bool ended) {
        auto& st = self->state;
        st.used = true;
        if (!evs.empty())
          st.last_seq = evs.back().seq;
        if (ended)
          st.ended = true;
        if (st.sink)
          self->send(st.sink, actors::event_atom::value, std::move(task_id),
                     std::move(evs), ended);
      },
      [=](actors::gap_atom, std::string& task_id, uint64_t after,
          std::string& snapshot) {
        auto& st = self->state;
        st.used = true;
        if (st.sink)
          self->send(st.sink, actors::gap_atom::value, std::move(task_id),
                     after, std::move(snapshot));
      },
      // The remote task's own timers and checks never reach a relay.
      [=](actors::resume_atom, uint64_t) {},
      [=](actors::timeout_atom, uint64_t) {},
      [=](actors::expire_atom) {},
      [=](actors::sweep_atom) {},
      [=](idle_atom) {
        auto& st = self->state;
        // A relay serving a live subscription stays while it runs.
        if (!st.used && st.pending.empty() && (!st.sink || st.ended)) {
          if (st.setup.remote && st.sink && !st.ended)
            self->send(st.setup.remote, actors::unsubscribe_atom::value,
                       as_sink(self));
          self->quit();
          return;
        }
        st.used = false;
        self->delayed_send(self, st.setup.idle, idle_atom::value);
      },
  };
}

} // namespace switchboard::cluster
