#include "store/writer.hpp"

#include <caf/all.hpp>

namespace switchboard::store {

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

writer_actor::behavior_type
writer(writer_actor::stateful_pointer<writer_state> self, writer_setup setup) {
  if (!setup.now_ms)
    setup.now_ms = wall_ms;
  self->state.setup = std::move(setup);
  if (self->state.setup.tidy_interval.count() > 0)
    self->send(self, tidy_atom::value);
  auto fail_read = [](database& db) {
    return caf::make_error(caf::sec::runtime_error, db.last_error());
  };
  return {
      [=](append_atom, batch& b) -> caf::result<std::string> {
        auto& st = self->state;
        auto move_all = [](auto& from, auto& to) {
          to.insert(to.end(), std::make_move_iterator(from.begin()),
                    std::make_move_iterator(from.end()));
        };
        move_all(b.tasks, st.pending.tasks);
        move_all(b.events, st.pending.events);
        auto promise = self->make_response_promise<std::string>();
        st.waiting.push_back(promise);
        if (!st.commit_scheduled) {
          // Behind every append already queued: they join this commit.
          st.commit_scheduled = true;
          self->send(self, commit_atom::value);
        }
        return promise;
      },
      [=](read_atom, const std::string& task_id, uint64_t after,
          uint64_t limit) -> caf::result<std::vector<event_row>> {
        auto& db = *self->state.setup.db;
        if (auto rows =
                db.events_after(task_id, after, static_cast<size_t>(limit)))
          return std::move(*rows);
        return fail_read(db);
      },
      [=](record_atom,
          const std::string& task_id) -> caf::result<std::vector<task_row>> {
        std::vector<task_row> out;
        if (auto row = self->state.setup.db->task(task_id))
          out.push_back(std::move(*row));
        return out;
      },
      [=](query_atom,
          const task_query& q) -> caf::result<std::vector<task_row>> {
        auto& db = *self->state.setup.db;
        if (auto rows = db.list(q))
          return std::move(*rows);
        return fail_read(db);
      },
      [=](commit_atom) {
        auto& st = self->state;
        st.commit_scheduled = false;
        size_t events = 0;
        for (auto& [id, es] : st.pending.events)
          events += es.size();
        auto tasks = st.pending.tasks.size();
        auto t0 = std::chrono::steady_clock::now();
        auto result = st.setup.db->write(st.pending);
        if (st.setup.hooks.committed)
          st.setup.hooks.committed(events, tasks,
                                   std::chrono::steady_clock::now() - t0,
                                   result.empty());
        ++st.commits;
        st.writable = result.empty();
        st.pending = batch{};
        auto waiting = std::move(st.waiting);
        st.waiting.clear();
        for (auto& p : waiting)
          p.deliver(result);
      },
      [=](tidy_atom) {
        auto& st = self->state;
        auto& s = st.setup;
        if (!st.writable) {
          // Nothing may be writing now: find out whether the disk takes
          // writes again, so that readiness does not wait for a task.
          auto t0 = std::chrono::steady_clock::now();
          st.writable = s.db->probe(s.now_ms(), s.min_free_bytes).empty();
          if (s.hooks.committed)
            s.hooks.committed(0, 0, std::chrono::steady_clock::now() - t0,
                              st.writable);
        }
        auto done = s.db->expire(s.now_ms() - s.retention.count(), s.max_tasks,
                                 s.tidy_chunk);
        if (done && s.hooks.expired && done->tasks > 0)
          s.hooks.expired(*done);
        if (done && done->tasks == s.tidy_chunk) {
          // More to delete: go on after what queued meanwhile.
          self->send(self, tidy_atom::value);
          return;
        }
        if (s.hooks.sized)
          s.hooks.sized(s.db->size());
        self->delayed_send(self, s.tidy_interval, tidy_atom::value);
      },
  };
}

} // namespace switchboard::store
