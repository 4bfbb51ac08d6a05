#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

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

/// One group commit: task records to insert or replace, and events to add.
struct batch {
  /// Task records, inserted or replaced whole.
  std::vector<task_row> tasks;
  /// Events, each with the id of its task.
  std::vector<std::pair<std::string, event_row>> events;
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
};

} // namespace switchboard::store
