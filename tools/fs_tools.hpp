#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/stat.h>

#include "tools/tool.hpp"

namespace switchboard::tools {

class workspace;
struct open_error;

/// Returns the outcome of a path a tool could not open: `invalid_args` when
/// the path itself is at fault, `tool_failed` when the file system is.
outcome open_failure(const open_error& err);

/// Bytes at the start of a file that `looks_binary` inspects.
inline constexpr size_t binary_probe_bytes = 8192;

/// Returns `bytes` as valid UTF-8: every byte that does not belong to a
/// well-formed sequence becomes U+FFFD.
std::string valid_utf8(std::string_view bytes);

/// Returns the longest prefix of `text` of at most `max_bytes` bytes that
/// does not end inside a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, size_t max_bytes);

/// Returns whether `head` has a NUL byte in its first `binary_probe_bytes`.
bool looks_binary(std::string_view head);

/// Returns the permission bits of `mode` as four octal digits, e.g. "0644".
std::string mode_string(mode_t mode);

/// Most entries of a `skipped` list in one result; the rest are counted.
inline constexpr size_t max_skipped_entries = 1000;

/// Deepest directory nesting a walk enters.
inline constexpr size_t max_walk_depth = 1024;

/// One directory entry met by `walk`, described by `fstatat` without
/// following symlinks.
struct walk_entry {
  /// Workspace-relative path of raw bytes with forward slashes.
  std::string rel;
  /// The entry's own name (raw bytes).
  std::string name;
  /// Descriptor of the directory holding the entry (valid during the visit):
  /// open the entry with `openat(dir_fd, name, ... | O_NOFOLLOW)`.
  int dir_fd = -1;
  /// The entry's `fstatat(AT_SYMLINK_NOFOLLOW)` result.
  struct stat st;
};

/// Files and directories a tool could not look at, with the reason; names
/// are kept as bytes and written in the escaped form.
class skip_list {
 public:
  /// Records that `rel` (raw bytes) was skipped because of `reason`.
  void add(std::string rel, std::string reason);

  /// Returns how many were recorded (written or not).
  size_t size() const noexcept {
    return items_.size() + omitted_;
  }

  /// Writes `"skipped":[{"path","reason"}...]` and, when the list was cut,
  /// `"skipped_omitted":N`.
  void write(rapidjson::Writer<rapidjson::StringBuffer>& w) const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
  size_t omitted_ = 0;
};

/// Visits the entries below the open directory `dir_fd` whose
/// workspace-relative path is `dir_rel` (raw bytes, "." for the root) in
/// path order (siblings sorted by name, a directory before its contents),
/// descending into subdirectories when `recursive` but never through a
/// symlink. Directories are opened by descriptor, one level at a time, so
/// neither renames nor PATH_MAX can affect the walk. Stops when `visit`
/// returns false or `token` is cancelled. Subdirectories that cannot be
/// read go to `skipped`. Returns an empty string, or a reason when `dir_fd`
/// itself cannot be read.
std::string walk(int dir_fd, const std::string& dir_rel, bool recursive,
                 const cancel_token& token, skip_list& skipped,
                 const std::function<bool(const walk_entry&)>& visit);

/// Returns `path` (escaped form) as raw bytes without empty and "."
/// components; the root is ".".
std::string normalize_relative(std::string_view path);

/// Returns the workspace-relative path of `name` inside `dir_rel`.
std::string join_relative(const std::string& dir_rel, std::string_view name);

/// Returns the message of an I/O error on `rel` (raw bytes), valid UTF-8.
std::string io_error(const std::string& rel, int err);

/// Returns the integer member `key` of `args`, or `fallback` when absent.
uint64_t uint_arg(const rapidjson::Value& args, const char* key,
                  uint64_t fallback);

/// Returns the string member `key` of `args`, or `fallback` when absent.
std::string string_arg(const rapidjson::Value& args, const char* key,
                       std::string fallback);

/// Returns the boolean member `key` of `args`, or `fallback` when absent.
bool bool_arg(const rapidjson::Value& args, const char* key, bool fallback);

/// Returns the `fs.list` tool.
tool fs_list_tool();

/// Returns the `fs.read` tool.
tool fs_read_tool();

/// Returns the `fs.hash` tool.
tool fs_hash_tool();

} // namespace switchboard::tools
