#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <variant>

namespace switchboard::tools {

/// The directory tree that flows and file tools may read; every path a
/// client names is resolved against it and must stay inside it.
class workspace {
 public:
  /// Opens `root`, which must be a readable directory; on failure returns a
  /// one-line reason instead.
  static std::variant<workspace, std::string>
  open(const std::filesystem::path& root);

  /// Returns the canonical absolute root.
  const std::filesystem::path& root() const noexcept {
    return root_;
  }

  /// Resolves a client-supplied relative path to a canonical absolute path
  /// inside the root, or returns a one-line reason: absolute paths, `..`
  /// components, symlinks leading outside and missing paths are refused.
  std::variant<std::filesystem::path, std::string>
  resolve(std::string_view relative) const;

  /// Returns an empty string when `relative` is lexically acceptable (not
  /// absolute, no `..` component, no NUL byte), otherwise a one-line reason;
  /// touches no file.
  static std::string check_relative(std::string_view relative);

  /// Returns `absolute` (inside the root) as a workspace-relative path with
  /// forward slashes; the root itself is ".".
  std::string relative(const std::filesystem::path& absolute) const;

  /// Returns whether canonical `absolute` lies inside the root.
  bool contains(const std::filesystem::path& absolute) const;

 private:
  explicit workspace(std::filesystem::path root) : root_(std::move(root)) {}

  std::filesystem::path root_;
};

} // namespace switchboard::tools
