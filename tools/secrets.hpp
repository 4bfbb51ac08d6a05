#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/tool.hpp"

namespace switchboard::tools {

class workspace;

/// Size above which a file gets a `large_file` finding and is not read.
inline constexpr uint64_t default_large_file_bytes = 10 * 1024 * 1024;

/// Most findings reported for a single file; the scan of a file stops there.
inline constexpr size_t max_findings_per_file = 100;

/// Most bytes of an excerpt.
inline constexpr size_t max_excerpt_bytes = 120;

/// One thing the scanner flags. Rules and severities: `aws_access_key`
/// (high), `private_key` (high), `generic_secret` (medium), `world_writable`
/// (medium), `large_file` (low).
struct finding {
  /// Name of the rule, e.g. "aws_access_key".
  std::string rule;
  /// "high", "medium" or "low".
  std::string severity;
  /// Workspace-relative path with forward slashes.
  std::string path;
  /// 1-based line number; 0 for rules about the whole file.
  uint64_t line = 0;
  /// The trimmed line, at most `max_excerpt_bytes` bytes, valid UTF-8, with
  /// every secret value on it replaced by asterisks; empty for file rules.
  std::string excerpt;
};

/// What `scan_file` found out about one file.
struct file_scan {
  /// Size of the file in bytes.
  uint64_t size = 0;
  /// Bytes whose content went through the line rules.
  uint64_t bytes_scanned = 0;
  /// Findings, at most `max_findings_per_file`, in line order after the
  /// file-level ones.
  std::vector<finding> findings;
  /// Empty when the content was scanned, otherwise why not, e.g.
  /// "binary file" or "larger than large_file_bytes".
  std::string skipped;
  /// True when the token stopped the scan.
  bool cancelled = false;
};

/// Returns the findings of the line rules (`aws_access_key`, `private_key`,
/// `generic_secret`) in `text`, attributed to `path`, at most `max_findings`.
std::vector<finding> scan_text(std::string_view text, const std::string& path,
                               size_t max_findings = max_findings_per_file);

/// Returns the excerpt of `line` as findings show it: secrets replaced by
/// asterisks, trimmed, cut to `max_excerpt_bytes`, valid UTF-8.
std::string redact_line(std::string_view line);

/// Scans the open file `fd` whose workspace-relative path is `rel` (raw
/// bytes): file-level rules from `fstat`, then the line rules unless the
/// file is larger than `large_file_bytes` or binary (a NUL byte in its first
/// 8 KiB). Reads at most `max_bytes` (the rest of the call's budget) and
/// stops early, with `cancelled` set, when `token` is cancelled.
file_scan scan_fd(int fd, const std::string& rel, uint64_t large_file_bytes,
                  const cancel_token& token,
                  uint64_t max_bytes = default_max_call_bytes);

/// Opens `relative` (escaped form) beneath the root of `ws` and scans it as
/// `scan_fd` does; a path that cannot be opened is reported in `skipped`.
file_scan scan_file(const workspace& ws, std::string_view relative,
                    uint64_t large_file_bytes = default_large_file_bytes);

/// Returns the `secrets.scan` tool.
tool secrets_scan_tool();

} // namespace switchboard::tools
