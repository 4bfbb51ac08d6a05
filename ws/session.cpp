#include "ws/session.hpp"

#include <optional>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/task_manager.hpp"
#include "api/commands.hpp"
#include "protocol/encoder.hpp"

namespace switchboard::ws {

using namespace actors;

namespace {

using protocol::command;
using protocol::command_type;
using protocol::error_code;
using protocol::message_type;
using protocol::message_writer;
using self_ptr = session_actor::stateful_pointer<session_state>;

constexpr auto going_away = to_uint(protocol::close_code::going_away);
constexpr auto try_again_later = to_uint(protocol::close_code::try_again_later);

// Counts a message of `type` (a name, or a task event's type) sent to this
// connection.
template<class Type>
void count(self_ptr self, Type type) {
  if (auto& m = self->state.setup.metrics; m && !self->state.closed)
    m->sent(metrics::channel::websocket, type);
}

// Writes a message that is not a task event, counted by its type.
void write(self_ptr self, message_type type, std::string text) {
  if (self->state.closed)
    return;
  count(self, protocol::to_string(type));
  self->state.setup.conn->send(protocol::make_frame(std::move(text)));
}

// Writes a command's reply; an error is also counted by its code.
void write(self_ptr self, api::reply r) {
  if (auto& m = self->state.setup.metrics;
      m && !self->state.closed && r.code != error_code::none)
    m->protocol_error(r.code);
  write(self, r.type, std::move(r.body));
}

// Hands the connection several frames at once: one hop to the I/O thread.
// Events are counted where they arrive (their type is known there), replies
// where they are built.
void write(self_ptr self, std::vector<protocol::frame> fs) {
  if (self->state.closed || fs.empty())
    return;
  self->state.setup.conn->send(std::move(fs));
}

void close_now(self_ptr self) {
  auto& st = self->state;
  if (!st.closed && st.close_code != 0)
    st.setup.conn->close(st.close_code, st.close_code == going_away
                                            ? "server shutting down"
                                            : "closed by the server");
}

// Looks again later whether the client has room; backs off from 2 ms to
// 64 ms while it reads nothing, so a stalled client costs few wake-ups
// until the write timeout drops it.
void schedule_pump(self_ptr self) {
  auto& st = self->state;
  if (st.pump_scheduled)
    return;
  st.pump_scheduled = true;
  self->delayed_send(self, st.pump_delay, resume_atom::value);
  st.pump_delay = std::min(st.pump_delay * 2, std::chrono::milliseconds(64));
}

// Hands tasks credit for the events this connection has taken, once its
// queue is nearly empty: a subscription is a cursor into the task's log,
// so a client that reads slowly holds back its tasks' pushes instead of
// piling events up in mailboxes and queues. Retries on a timer meanwhile.
// Grants one subscription its owed credit if the connection has room;
// returns false when it has to wait for room.
bool grant(self_ptr self, session_state::subscribed& sub) {
  auto& st = self->state;
  // While a subscribe is pending the task resets this subscriber's credit;
  // its reply settles what is owed.
  if (st.closed || !sub.active || sub.pending > 0 ||
      sub.owed < event_window / 2)
    return true;
  auto& conn = *st.setup.conn;
  auto low_water = std::min<size_t>(64 * 1024, conn.max_queued_bytes() / 4);
  if (!st.outbox.empty() || conn.queued_bytes() >= low_water) {
    schedule_pump(self);
    return false;
  }
  self->send(sub.handle, credit_atom::value, caf::actor_cast<event_sink>(self),
             sub.owed);
  sub.owed = 0;
  st.pump_delay = std::chrono::milliseconds(2);
  return true;
}

// Grants every subscription that waits for room (from the pump timer).
void grant_all(self_ptr self) {
  for (auto& [task_id, sub] : self->state.subscriptions)
    if (!grant(self, sub))
      return;
}

// Writes queued events while the connection's queue is below half its
// bound; a large replay thus drains at the client's pace instead of
// overflowing the queue (which would close the connection with 1013).
void pump(self_ptr self) {
  auto& st = self->state;
  auto& conn = *st.setup.conn;
  auto room = conn.max_queued_bytes() / 2;
  auto queued = conn.queued_bytes();
  std::vector<protocol::frame> batch;
  while (!st.outbox.empty() && !st.closed && queued < room) {
    auto n = st.outbox.front()->size();
    st.outbox_bytes -= n;
    queued += n;
    batch.push_back(std::move(st.outbox.front()));
    st.outbox.pop_front();
    st.pump_delay = std::chrono::milliseconds(2);
  }
  write(self, std::move(batch));
  if (st.closed) {
    st.outbox.clear();
    return;
  }
  grant_all(self);
  if (!st.outbox.empty()) {
    schedule_pump(self);
    return;
  }
  close_now(self);
}

// Queues task events behind any that still wait, in order. Credit bounds
// the wait (two windows of events per subscription); past sixteen times the
// connection's queue bound something is wrong and the client is closed
// with 1013 (it can resume by seq).
void deliver(self_ptr self, std::vector<protocol::frame> fs,
             std::vector<protocol::frame> replies = {}) {
  auto& st = self->state;
  auto& conn = *st.setup.conn;
  if (st.closed)
    return;
  if (st.close_code == try_again_later)
    fs.clear();
  // Replies never wait behind queued events. Events that fit below half the
  // queue bound join them in one hand-off; the rest waits in the outbox (a
  // batch of large events must not overflow the bound of a client that
  // reads well).
  size_t now = 0;
  if (st.outbox.empty()) {
    auto queued = conn.queued_bytes();
    for (auto& f : replies)
      queued += f->size();
    auto room = conn.max_queued_bytes() / 2;
    while (now < fs.size() && queued < room)
      queued += fs[now++]->size();
  }
  replies.insert(replies.end(), std::make_move_iterator(fs.begin()),
                 std::make_move_iterator(fs.begin() + now));
  write(self, std::move(replies));
  if (now == fs.size())
    return;
  for (auto i = fs.begin() + now; i != fs.end(); ++i) {
    if (st.outbox_bytes + (*i)->size() > 16 * conn.max_queued_bytes()) {
      st.outbox.clear();
      st.outbox_bytes = 0;
      st.close_code = try_again_later;
      conn.close(try_again_later, "slow consumer");
      return;
    }
    st.outbox_bytes += (*i)->size();
    st.outbox.push_back(std::move(*i));
  }
  pump(self);
}

void write_error(self_ptr self, const std::string& reply_to, error_code code,
                 std::string_view message) {
  write(self, api::failure(reply_to, code, message));
}

void write_error(self_ptr self, const std::string& reply_to,
                 const caf::error& err) {
  write(self, api::failure(reply_to, err));
}

// Runs `f` with the task's actor, from the subscription cache or the
// manager; `fail` gets the manager's refusal.
template<class F, class G>
void with_task(self_ptr self, const std::string& task_id, F f, G fail) {
  auto& subs = self->state.subscriptions;
  // Only a live subscription's handle: an ended one's task may be gone.
  if (auto i = subs.find(task_id); i != subs.end() && i->second.active) {
    f(i->second.handle);
    return;
  }
  self->request(self->state.setup.manager, self->state.setup.request_timeout,
                get_atom::value, task_id, self->state.setup.principal)
      .then([f](task_actor& t) mutable { f(t); }, fail);
}

// Runs `f` with the task's actor; a refusal is the reply to `cmd`.
template<class F>
void with_task(self_ptr self, const command& cmd, F f) {
  auto reply_to = cmd.id;
  with_task(self, cmd.task_id, std::move(f), [self, reply_to](caf::error& err) {
    write_error(self, reply_to, err);
  });
}

// Forgets a subscription entry once nothing refers to it any more.
void tidy(self_ptr self, const std::string& task_id) {
  auto& subs = self->state.subscriptions;
  if (auto i = subs.find(task_id); i != subs.end() && !i->second.active &&
                                   i->second.pending == 0 &&
                                   !i->second.finished)
    subs.erase(i);
}

// Ends a subscription with its task's terminal event. Its cursor stays, so
// that a subscribe sent before the client saw the end sends nothing twice;
// the oldest of these are forgotten past a bound.
void end_subscription(self_ptr self, const std::string& task_id) {
  auto& st = self->state;
  auto i = st.subscriptions.find(task_id);
  if (i == st.subscriptions.end())
    return;
  i->second.active = false;
  if (!i->second.finished) {
    i->second.finished = true;
    st.finished.push_back(task_id);
  }
  while (st.finished.size() > max_finished_cursors) {
    auto old = std::move(st.finished.front());
    st.finished.pop_front();
    if (auto j = st.subscriptions.find(old); j != st.subscriptions.end()) {
      j->second.finished = false;
      tidy(self, old);
    }
  }
}

// Takes a task's answer to this session's subscribe (or start): the reply,
// then the events the connection does not have yet. `generation` and
// `keep_cursor` are those of the entry when the subscribe was sent.
void on_subscribed(self_ptr self, const std::string& task_id, task_actor handle,
                   uint64_t generation, bool keep_cursor, uint64_t after,
                   const std::string& reply_to, subscription& sub,
                   api::reply reply) {
  count(self, protocol::to_string(reply.type));
  std::vector<protocol::frame> first;
  first.push_back(protocol::make_frame(std::move(reply.body)));
  auto& entry = self->state.subscriptions[task_id];
  SB_CHECK(entry.pending > 0);
  --entry.pending;
  if (entry.generation != generation) {
    // Unsubscribed since: the task dropped this sink already.
    write(self, std::move(first));
    tidy(self, task_id);
    return;
  }
  if (!keep_cursor || after > entry.last_sent)
    entry.last_sent = after;
  entry.active = true;
  entry.handle = std::move(handle);
  // The task counts the backlog against this subscriber's window.
  entry.owed = sub.backlog.size();
  if (auto& m = self->state.setup.metrics) {
    if (after > 0)
      m->resume(metrics::channel::websocket);
    if (sub.expired) {
      m->events_expired(metrics::channel::websocket);
      m->protocol_error(error_code::events_expired);
    }
  }
  if (sub.expired) {
    count(self, protocol::to_string(message_type::error));
    first.push_back(protocol::make_frame(
        api::failure(reply_to, error_code::events_expired,
                     "events after seq " + std::to_string(after) +
                         " fell out of the task's log; replaying the "
                         "retained ones")
            .body));
  }
  std::vector<protocol::frame> events;
  for (auto& ev : sub.backlog)
    if (ev.seq > entry.last_sent) {
      count(self, ev.type);
      events.push_back(std::move(ev.data));
      entry.last_sent = ev.seq;
    }
  // The reply and the first events that fit leave together.
  deliver(self, std::move(events), std::move(first));
  if (sub.ended)
    end_subscription(self, task_id);
  else
    grant(self, entry);
}

// Subscribes to a task and forwards its retained events after `after`. The
// entry is claimed before the task is even looked up, so that an
// unsubscribe sent right behind this subscribe voids it.
void subscribe(self_ptr self, const std::string& task_id, uint64_t after,
               bool coalesce, const std::string& reply_to) {
  auto& claimed = self->state.subscriptions[task_id];
  // A live or starting subscription keeps its cursor: what this connection
  // was sent is never sent again.
  auto keep_cursor = claimed.active || claimed.pending > 0 || claimed.finished;
  ++claimed.pending;
  auto generation = claimed.generation;
  auto failed = [=](caf::error& err) {
    --self->state.subscriptions[task_id].pending;
    tidy(self, task_id);
    write_error(self, reply_to, err);
  };
  with_task(
      self, task_id,
      [=](task_actor handle) {
        auto sink = caf::actor_cast<event_sink>(self);
        // No request timeout: a local task always answers (or its death
        // does), and a timeout costs a trip through CAF's clock thread.
        self->request(handle, caf::infinite, subscribe_atom::value, sink, after,
                      coalesce)
            .then(
                [=](subscription& sub) {
                  auto reply = api::success(
                      message_type::subscribe_success,
                      message_writer{message_type::subscribe_success, reply_to}
                          .str("task_id", task_id)
                          .str("state", sub.state)
                          .finish());
                  on_subscribed(self, task_id, handle, generation, keep_cursor,
                                after, reply_to, sub, std::move(reply));
                },
                failed);
      },
      failed);
}

// Returns the scope in which this session runs its commands.
api::scope command_scope(self_ptr self) {
  auto& st = self->state;
  return {st.setup.manager,
          st.setup.registry,
          st.setup.request_timeout,
          st.setup.status,
          st.setup.metrics,
          st.setup.principal,
          st.id};
}

// Serves `start`, `subscribe` and `unsubscribe`, which attach this
// connection's cursor to a task; every other command runs as on HTTP.
void handle(self_ptr self, command& cmd) {
  auto& st = self->state;
  auto id = cmd.id;
  switch (cmd.type) {
  case command_type::start: {
    // One hop: the manager spawns the task and hands it this session's
    // subscribe, so the task itself answers with `started` in its backlog
    // (and orders it before every later event); no clock-thread timeout.
    auto kind = cmd.task;
    self->request(st.setup.manager, caf::infinite, start_atom::value, cmd.task,
                  cmd.params, st.setup.principal,
                  caf::actor_cast<event_sink>(self), cmd.coalesce)
        .then(
            [=](subscription& sub) {
              auto task_id = sub.task_id;
              auto& entry = self->state.subscriptions[task_id];
              ++entry.pending;
              on_subscribed(self, task_id,
                            caf::actor_cast<task_actor>(sub.task),
                            entry.generation, false, 0, id, sub,
                            api::start_success(id, task_id, kind));
            },
            [=](caf::error& err) { write_error(self, id, err); });
    return;
  }
  case command_type::subscribe:
    subscribe(self, cmd.task_id, cmd.after, cmd.coalesce, id);
    return;
  case command_type::unsubscribe: {
    auto task_id = cmd.task_id;
    auto confirm = [=] {
      write(self, message_type::unsubscribe_success,
            message_writer{message_type::unsubscribe_success, id}
                .str("task_id", task_id)
                .finish());
    };
    auto i = st.subscriptions.find(task_id);
    if (i != st.subscriptions.end() && i->second.active) {
      // Also sent when a subscribe is still pending: the task handles the
      // two in order, so it ends up without this sink.
      self->send(i->second.handle, unsubscribe_atom::value,
                 caf::actor_cast<event_sink>(self));
      // After unsubscribe_success the client knows what it has: a later
      // subscribe replays from its `after`.
      i->second.active = false;
      i->second.finished = false;
      ++i->second.generation;
      tidy(self, task_id);
      confirm();
    } else {
      // A first subscribe may still be pending: void it, and tell the task
      // (after that subscribe, in order) to drop this sink.
      if (i != st.subscriptions.end()) {
        ++i->second.generation;
        i->second.finished = false;
        tidy(self, task_id);
      }
      with_task(self, cmd, [=](task_actor& t) {
        self->send(t, unsubscribe_atom::value,
                   caf::actor_cast<event_sink>(self));
        confirm();
      });
    }
    return;
  }
  default: break;
  }
  // A live subscription's handle saves asking the manager (an ended one's
  // task may be gone).
  task_actor cached;
  if (auto i = st.subscriptions.find(cmd.task_id);
      i != st.subscriptions.end() && i->second.active)
    cached = i->second.handle;
  api::run(
      self, command_scope(self), cmd,
      [self](api::reply r) { write(self, std::move(r)); }, cached);
}

// Token bucket: refills at `rate_limit` per second up to twice that.
bool take_token(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto rate = static_cast<double>(st.setup.rate_limit);
  std::chrono::duration<double> elapsed = now - st.refilled;
  st.refilled = now;
  st.tokens = std::min(2 * rate, st.tokens + elapsed.count() * rate);
  if (st.tokens < 1)
    return false;
  st.tokens -= 1;
  return true;
}

void announce_shutdown(self_ptr self, int64_t grace_ms) {
  write(self, message_type::shutdown,
        message_writer{message_type::shutdown}
            .num("grace_ms", grace_ms)
            .finish());
}

} // namespace

session_actor::behavior_type session(self_ptr self, session_setup setup) {
  auto& st = self->state;
  st.setup = std::move(setup);
  st.id = make_id("s-");
  on_exception(self, [self](const std::string&) {
    auto& st = self->state;
    // Nobody is left to read the results of its calls: free their workers.
    self->send(st.setup.registry, cancel_atom::value, st.id);
    st.setup.conn->close(to_uint(protocol::close_code::internal),
                         "internal error");
  });
  st.probe.open(st.setup.metrics, metrics::channel::websocket);
  write(self, message_type::hello,
        protocol::encode_hello(st.id, st.setup.heartbeat.count(),
                               st.setup.server));
  st.tokens = 2.0 * static_cast<double>(st.setup.rate_limit);
  st.refilled = self->clock().now();
  self->delayed_send(self, st.setup.heartbeat, heartbeat_atom::value);
  if (st.setup.status && st.setup.status->draining) {
    // Connected while draining: say so and close right away.
    announce_shutdown(self, st.setup.status->grace_ms);
    write_error(self, {}, error_code::shutting_down,
                "the server is shutting down");
    st.setup.conn->close(going_away, "server shutting down");
  }
  return {
      [=](text_atom, std::string& text) {
        if (!take_token(self)) {
          write_error(self, {}, error_code::rate_limited,
                      "more than " +
                          std::to_string(self->state.setup.rate_limit) +
                          " messages per second");
          return;
        }
        auto decoded = protocol::decode(text, self->state.setup.limits);
        auto* err = std::get_if<protocol::decode_error>(&decoded);
        if (auto& m = self->state.setup.metrics)
          m->received(
              metrics::channel::websocket,
              err ? "invalid"
                  : protocol::to_string(std::get<command>(decoded).type));
        if (err) {
          write_error(self, err->id, err->code, err->message);
          return;
        }
        handle(self, std::get<command>(decoded));
      },
      [=](binary_atom) {
        if (!take_token(self))
          return;
        if (auto& m = self->state.setup.metrics)
          m->received(metrics::channel::websocket, "binary");
        write_error(self, {}, error_code::bad_message,
                    "binary frames are not supported; send JSON text");
      },
      [=](too_large_atom) {
        // The transport has sent the error and closes with 1009.
        if (auto& m = self->state.setup.metrics) {
          m->received(metrics::channel::websocket, "too_large");
          m->protocol_error(error_code::too_large);
        }
      },
      [=](closed_atom) {
        auto& st = self->state;
        st.closed = true;
        st.probe.close();
        auto sink = caf::actor_cast<event_sink>(self);
        for (auto& [task_id, sub] : st.subscriptions)
          if (sub.handle)
            self->send(sub.handle, unsubscribe_atom::value, sink);
        // Nobody is left to read these results: free their workers.
        self->send(st.setup.registry, cancel_atom::value, st.id);
        st.subscriptions.clear();
        self->quit();
      },
      [=](shutdown_atom, int64_t grace_ms) {
        announce_shutdown(self, grace_ms);
      },
      [=](notice_atom, std::string& text) {
        write(self, message_type::tools_changed, std::move(text));
      },
      [=](close_atom, uint16_t code) {
        auto& st = self->state;
        st.close_code = code;
        if (st.outbox.empty())
          close_now(self);
      },
      [=](resume_atom) {
        self->state.pump_scheduled = false;
        pump(self);
      },
      [=](heartbeat_atom) {
        auto& st = self->state;
        if (st.closed)
          return;
        write(self, message_type::heartbeat,
              protocol::encode_heartbeat(protocol::now_ms()));
        st.setup.conn->ping();
        self->delayed_send(self, st.setup.heartbeat, heartbeat_atom::value);
      },
      [=](event_atom, const std::string& task_id, std::vector<event_frame>& evs,
          bool terminal) {
        auto& subs = self->state.subscriptions;
        auto i = subs.find(task_id);
        if (i == subs.end() || !i->second.active)
          return;
        i->second.owed += evs.size();
        // A terminal event this client already has (it resumed past it)
        // still ends the subscription.
        std::vector<protocol::frame> fresh;
        fresh.reserve(evs.size());
        for (auto& ev : evs)
          if (ev.seq > i->second.last_sent) {
            i->second.last_sent = ev.seq;
            count(self, ev.type);
            fresh.push_back(std::move(ev.data));
          }
        deliver(self, std::move(fresh));
        if (terminal)
          end_subscription(self, task_id);
        else
          grant(self, i->second);
      },
      [=](gap_atom, const std::string& task_id, uint64_t after,
          const std::string&) {
        auto i = self->state.subscriptions.find(task_id);
        if (i == self->state.subscriptions.end() || !i->second.active)
          return;
        if (auto& m = self->state.setup.metrics) {
          m->events_expired(metrics::channel::websocket);
          m->protocol_error(error_code::events_expired);
        }
        // Behind the events still waiting in the outbox, in order.
        count(self, protocol::to_string(message_type::error));
        deliver(self, {protocol::make_frame(protocol::encode_error(
                          {}, error_code::events_expired,
                          "events of task " + task_id + " after seq " +
                              std::to_string(after) +
                              " fell out of its log while this connection "
                              "was behind; the retained ones follow"))});
      },
  };
}

} // namespace switchboard::ws
