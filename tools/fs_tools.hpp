#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <sys/stat.h>

#include "tools/tool.hpp"

namespace switchboard::tools {

class workspace;

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

/// One directory entry met by `walk`, described by `lstat`.
struct walk_entry {
  /// Absolute path (below the canonical root, symlinks not resolved).
  std::filesystem::path abs;
  /// Workspace-relative path with forward slashes.
  std::string rel;
  /// The entry's `lstat` result.
  struct stat st;
};

/// Visits the entries below the directory `dir` (canonical, inside `ws`) in
/// path order (siblings sorted by name, a directory before its contents),
/// descending into subdirectories when `recursive` but never through a
/// symlink; stops when `visit` returns false. Unreadable subdirectories are
/// skipped. Returns an empty string, or a reason when `dir` cannot be read.
std::string walk(const workspace& ws, const std::filesystem::path& dir,
                 bool recursive,
                 const std::function<bool(const walk_entry&)>& visit);

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
