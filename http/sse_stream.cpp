#include "http/sse_stream.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/task.hpp"
#include "log/logger.hpp"
#include "protocol/encoder.hpp"
#include "protocol/json.hpp"

namespace switchboard::http {

using namespace actors;

namespace {

using self_ptr = sse_stream_actor::stateful_pointer<sse_stream_state>;

const protocol::frame& blank_line() {
  static const auto f = protocol::make_frame("\n\n");
  return f;
}

// One line per stream when it ends: `by` says who ended it.
void log_closed(self_ptr self, std::string_view by) {
  auto& st = self->state;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                self->clock().now() - st.opened)
                .count();
  log::info("connection closed", {{"transport", "sse"},
                                  {"task_id", st.setup.task_id},
                                  {"by", by},
                                  {"duration_ms", static_cast<int64_t>(ms)}});
}

void finish(self_ptr self) {
  auto& st = self->state;
  if (st.done)
    return;
  st.done = true;
  log_closed(self, "server");
  st.probe.close();
  st.setup.exchange->end();
  self->send(st.setup.task, unsubscribe_atom::value,
             caf::actor_cast<event_sink>(self));
  self->quit();
}

void schedule_retry(self_ptr self) {
  auto& st = self->state;
  if (!st.retry_scheduled) {
    st.retry_scheduled = true;
    self->delayed_send(self, std::chrono::milliseconds(2), resume_atom::value);
  }
}

// Hands the task credit for the events taken once the client has read
// nearly all that was written: the stream is a cursor into the task's log.
void grant(self_ptr self) {
  auto& st = self->state;
  if (st.done || st.owed < event_window / 2)
    return;
  if (st.outbox.empty() && st.setup.exchange->queued_bytes() < 64 * 1024) {
    self->send(st.setup.task, credit_atom::value,
               caf::actor_cast<event_sink>(self), st.owed);
    st.owed = 0;
  } else {
    schedule_retry(self);
  }
}

// Writes what waits while the response has room (half its bound), so that
// a window of large events drains at the client's pace instead of
// overflowing the bound. Ends the response after the terminal event.
void pump(self_ptr self) {
  auto& st = self->state;
  auto& ex = *st.setup.exchange;
  auto room = ex.max_queued_bytes() / 2;
  while (!st.done && !st.outbox.empty() && ex.queued_bytes() < room) {
    auto p = std::move(st.outbox.front());
    st.outbox.pop_front();
    if (p.named) {
      ex.write(std::move(p.named));
      continue;
    }
    // The JSON text is the shared frame, not a copy.
    auto type = protocol::to_string(p.type);
    auto head =
        protocol::make_frame("id: " + std::to_string(p.seq) +
                             "\nevent: " + std::string{type} + "\ndata: ");
    if (!ex.write(std::move(head)) || !ex.write(p.data) ||
        !ex.write(blank_line())) {
      // The client is gone or too slow; it resumes with Last-Event-ID.
      finish(self);
      return;
    }
    if (auto& m = st.setup.metrics)
      m->sent(metrics::channel::sse, p.type);
    if (p.terminal) {
      finish(self);
      return;
    }
  }
  if (st.done)
    return;
  if (!st.outbox.empty())
    schedule_retry(self);
  else if (st.end_pending)
    finish(self);
}

// Queues one event. The stream ends with the task's terminal event, also
// when the client already had it (it resumed past it).
void write_event(self_ptr self, const event_frame& ev, bool terminal) {
  auto seq = ev.seq;
  auto& st = self->state;
  if (st.done)
    return;
  if (seq <= st.last_sent) {
    if (terminal) {
      st.end_pending = true;
      pump(self);
    }
    return;
  }
  st.last_sent = seq;
  st.outbox.push_back(
      sse_stream_state::pending{seq, ev.type, ev.data, terminal, nullptr});
  pump(self);
}

void write_named(self_ptr self, std::string_view event, std::string json) {
  auto& st = self->state;
  if (st.done)
    return;
  if (auto& m = st.setup.metrics)
    m->sent(metrics::channel::sse, event);
  st.outbox.push_back(sse_stream_state::pending{
      0, protocol::event_type::started, nullptr, false,
      protocol::make_frame("event: " + std::string{event} + "\ndata: " + json +
                           "\n\n")});
  pump(self);
}

} // namespace

sse_stream_actor::behavior_type sse_stream(self_ptr self,
                                           sse_stream_setup setup) {
  auto& st = self->state;
  st.setup = std::move(setup);
  st.last_sent = st.setup.after;
  on_exception(
      self, [self](const std::string&) { self->state.setup.exchange->end(); });
  st.probe.open(st.setup.metrics, metrics::channel::sse);
  st.opened = self->clock().now();
  log::info("connection opened",
            {{"transport", "sse"}, {"task_id", st.setup.task_id}});
  auto me = caf::actor_cast<sse_stream_actor>(self);
  st.setup.exchange->on_closed(
      [me] { caf::anon_send(me, closed_atom::value); });
  transport::http_response head;
  head.content_type = "text/event-stream";
  head.headers.emplace_back("Cache-Control", "no-cache");
  head.headers.emplace_back("X-Accel-Buffering", "no");
  st.setup.exchange->start_stream(std::move(head));
  st.setup.exchange->write(protocol::make_frame(
      "retry: " + std::to_string(st.setup.retry.count()) + "\n\n"));
  auto after = st.setup.after;
  self->request(st.setup.task, st.setup.request_timeout, subscribe_atom::value,
                caf::actor_cast<event_sink>(self), after, st.setup.coalesce)
      .then(
          [=](subscription& sub) {
            if (auto& m = self->state.setup.metrics) {
              if (after > 0)
                m->resume(metrics::channel::sse);
              if (sub.expired) {
                m->events_expired(metrics::channel::sse);
                m->protocol_error(protocol::error_code::events_expired);
              }
            }
            if (sub.expired) {
              write_named(self, "error",
                          protocol::encode_error(
                              {}, protocol::error_code::events_expired,
                              "events after seq " + std::to_string(after) +
                                  " fell out of the task's log"));
              write_named(self, "snapshot", sub.snapshot);
            } else if (!sub.snapshot.empty()) {
              write_named(self, "snapshot", sub.snapshot);
            }
            for (auto& ev : sub.backlog)
              write_event(self, ev, sub.ended && ev.seq == sub.last_seq);
            if (!self->state.done && sub.ended) {
              self->state.end_pending = true;
              pump(self);
            }
            self->state.owed = sub.backlog.size();
            grant(self);
          },
          [=](caf::error& err) {
            auto info = describe(err);
            if (auto& m = self->state.setup.metrics)
              m->protocol_error(info.code);
            write_named(self, "error",
                        protocol::encode_error({}, info.code, info.message));
            finish(self);
          });
  self->delayed_send(self, st.setup.heartbeat, heartbeat_atom::value);
  return {
      [=](event_atom, const std::string&, std::vector<event_frame>& evs,
          bool terminal) {
        self->state.owed += evs.size();
        for (size_t i = 0; i < evs.size(); ++i)
          write_event(self, evs[i], terminal && i + 1 == evs.size());
        grant(self);
      },
      [=](gap_atom, const std::string&, uint64_t after, std::string& snap) {
        if (self->state.done)
          return;
        if (auto& m = self->state.setup.metrics) {
          m->events_expired(metrics::channel::sse);
          m->protocol_error(protocol::error_code::events_expired);
        }
        write_named(self, "error",
                    protocol::encode_error(
                        {}, protocol::error_code::events_expired,
                        "events after seq " + std::to_string(after) +
                            " fell out of the task's log while this stream "
                            "was behind"));
        write_named(self, "snapshot", std::move(snap));
      },
      [=](resume_atom) {
        self->state.retry_scheduled = false;
        pump(self);
        grant(self);
      },
      [=](heartbeat_atom) {
        auto& st = self->state;
        if (st.done)
          return;
        if (!st.setup.exchange->write(protocol::make_frame(": hb\n\n"))) {
          finish(self);
          return;
        }
        if (auto& m = st.setup.metrics)
          m->sent(metrics::channel::sse, "heartbeat");
        self->delayed_send(self, st.setup.heartbeat, heartbeat_atom::value);
      },
      [=](closed_atom) {
        auto& st = self->state;
        if (st.done)
          return;
        st.done = true;
        log_closed(self, "client");
        st.probe.close();
        self->send(st.setup.task, unsubscribe_atom::value,
                   caf::actor_cast<event_sink>(self));
        self->quit();
      },
  };
}

} // namespace switchboard::http
