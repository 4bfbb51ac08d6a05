#pragma once

#include <climits>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/records.hpp"

struct sqlite3;

namespace switchboard::store {

/// The schema version this build writes; older files are migrated up.
inline constexpr int schema_version = 1;

/// The database file's name inside the data directory.
inline constexpr const char* file_name = "switchboard.db";

/// How hard a commit tries to survive power loss.
enum class durability : uint8_t {
  /// WAL with `synchronous=NORMAL`: a commit survives a crash of the
  /// process; the last commits before a power loss may be lost.
  normal,
  /// WAL with `synchronous=FULL`: every commit is on disk when it returns.
  full,
};

/// A task's record.
struct task_row {
  /// The task id.
  std::string id;
  /// The task kind.
  std::string kind;
  /// The params as JSON text.
  std::string params;
  /// The owner (a token's id), or empty for none.
  std::string owner;
  /// The node that ran it.
  std::string node;
  /// Its state's wire name.
  std::string state;
  /// When it was created (ms since the epoch).
  int64_t created_ms = 0;
  /// When it ended (ms since the epoch), or 0 while it runs.
  int64_t ended_ms = 0;
  /// The seq of its last stored event.
  uint64_t last_seq = 0;
  /// How it ended, as JSON text: the result, or the `error` or `stopped`
  /// object; empty while it runs.
  std::string outcome;
  /// Its last progress as JSON text (`{"step", "total", "message"}`), or
  /// "null".
  std::string progress = "null";
  /// Its place in start order on this node (the history's key and cursor);
  /// 0 when inserted: the next free one.
  uint64_t ordinal = 0;
};

/// One event of a task's log.
struct event_row {
  /// Its seq (1, 2, ... without gaps).
  uint64_t seq = 0;
  /// Its type's wire name.
  std::string type;
  /// The event as the client receives it (JSON text).
  std::string data;
};

/// An event to store: its text is shared with the task's log, not copied.
struct new_event {
  /// Its seq.
  uint64_t seq = 0;
  /// Its type's wire name (static storage: the protocol's name table).
  std::string_view type;
  /// The event as the client receives it (JSON text).
  std::shared_ptr<const std::string> data;
};

/// One group commit: task records to write, and events to add.
struct batch {
  /// Task records: a new id is inserted whole; a known one gets its state,
  /// end, outcome and progress updated (id, kind, params, owner, node and
  /// creation never change).
  std::vector<task_row> tasks;
  /// Events by task id, in seq order.
  std::vector<std::pair<std::string, std::vector<new_event>>> events;

  /// Appends one event of `task` (a test's convenience).
  void add(const std::string& task, uint64_t seq, std::string_view type,
           std::string data);

  /// True when there is nothing to write.
  bool empty() const {
    return tasks.empty() && events.empty();
  }
};

/// Which tasks a history query returns, newest first.
struct task_query {
  /// Only this owner's tasks.
  std::string owner;
  /// Which states, kind and creation times (the protocol's filter).
  protocol::task_filter filter;
  /// Only tasks started before this one (its ordinal), the last of the
  /// previous page; unset for the newest.
  std::optional<uint64_t> before;
  /// At most this many.
  size_t limit = 1000;
};

/// What retention removed in one step.
struct expired {
  /// Tasks removed.
  uint64_t tasks = 0;
  /// Events removed with them.
  uint64_t events = 0;
};

/// Sizes of the history.
struct sizes {
  /// Bytes of the database file and its WAL.
  uint64_t bytes = 0;
  /// Stored tasks.
  uint64_t tasks = 0;
  /// Stored events.
  uint64_t events = 0;
};

/// One SQLite database in WAL mode: the task history of one node. Not
/// thread-safe: one owner (the store actor's thread) uses it.
class database {
 public:
  /// Opens `dir`/switchboard.db, creating the directory and the file if
  /// missing. Refuses, with a message that names the file and the fix, a
  /// file that is not a database or fails its integrity check, or that a
  /// newer build wrote; it never deletes, truncates or rewrites such a file.
  static std::variant<std::unique_ptr<database>, std::string>
  open(const std::filesystem::path& dir, durability d = durability::normal);

  ~database();

  database(const database&) = delete;
  database& operator=(const database&) = delete;

  /// The database file.
  const std::filesystem::path& path() const {
    return path_;
  }

  /// Writes a batch in one transaction; returns an error message (for
  /// example a full disk) or empty. A failed batch leaves nothing behind.
  std::string write(const batch& b);

  /// Returns a task's record, if stored.
  std::optional<task_row> task(const std::string& id);

  /// Returns up to `limit` events of a task with seq greater than `after`,
  /// in seq order; nullopt when reading failed (see `last_error`).
  std::optional<std::vector<event_row>>
  events_after(const std::string& id, uint64_t after, size_t limit);

  /// Returns the tasks stored as neither completed, failed nor cancelled:
  /// those a previous process left running; nullopt when reading failed.
  std::optional<std::vector<task_row>> unfinished();

  /// Returns the tasks that `q` selects, newest first, without their params
  /// and outcome; nullopt when reading failed.
  std::optional<std::vector<task_row>> list(const task_query& q);

  /// Deletes, in one transaction, up to `chunk` finished tasks (with their
  /// events) that ended before `cutoff_ms` or, oldest first, exceed
  /// `max_tasks`; nullopt when that failed.
  std::optional<expired> expire(int64_t cutoff_ms, uint64_t max_tasks,
                                size_t chunk);

  /// Returns the history's sizes (the counts are kept since the open).
  sizes size();

  /// Returns the highest task ordinal stored (0 for none).
  uint64_t max_ordinal();

  /// Writes one small row (in a transaction of its own) and checks that the
  /// file system keeps at least `min_free` bytes free; returns why either
  /// failed, or empty: whether the disk takes writes again.
  std::string probe(int64_t now_ms, uint64_t min_free);

  /// Why the last read that answered nullopt failed.
  const std::string& last_error() const {
    return last_error_;
  }

 private:
  database(sqlite3* db, std::filesystem::path path);

  std::string exec(const char* sql);

  std::nullopt_t failed();

  sqlite3* db_;
  std::filesystem::path path_;
  std::string last_error_;
  /// Prepared once: the statements of every commit.
  struct cached;
  std::unique_ptr<cached> cached_;
  uint64_t tasks_ = 0;
  uint64_t events_ = 0;
};

} // namespace switchboard::store
