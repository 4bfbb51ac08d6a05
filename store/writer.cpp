#include "store/writer.hpp"

#include <caf/all.hpp>

namespace switchboard::store {

writer_actor::behavior_type
writer(writer_actor::stateful_pointer<writer_state> self,
       std::shared_ptr<database> db) {
  self->state.db = std::move(db);
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
        auto& db = *self->state.db;
        if (auto rows =
                db.events_after(task_id, after, static_cast<size_t>(limit)))
          return std::move(*rows);
        return caf::make_error(caf::sec::runtime_error, db.last_error());
      },
      [=](commit_atom) {
        auto& st = self->state;
        st.commit_scheduled = false;
        auto result = st.db->write(st.pending);
        ++st.commits;
        st.pending = batch{};
        auto waiting = std::move(st.waiting);
        st.waiting.clear();
        for (auto& p : waiting)
          p.deliver(result);
      },
  };
}

} // namespace switchboard::store
