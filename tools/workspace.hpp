#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace switchboard::tools {

/// An owned file descriptor, closed on destruction.
class unique_fd {
 public:
  /// Creates an empty descriptor.
  unique_fd() = default;

  /// Takes ownership of `fd` (negative: empty).
  explicit unique_fd(int fd) noexcept : fd_(fd) {}

  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  /// Takes the descriptor of `other`.
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}

  /// Closes ours and takes the descriptor of `other`.
  unique_fd& operator=(unique_fd&& other) noexcept;

  /// Closes the descriptor.
  ~unique_fd();

  /// Returns the descriptor (negative when empty).
  int get() const noexcept {
    return fd_;
  }

  /// Returns the descriptor and gives up ownership.
  int release() noexcept {
    auto fd = fd_;
    fd_ = -1;
    return fd;
  }

  /// Returns whether a descriptor is held.
  explicit operator bool() const noexcept {
    return fd_ >= 0;
  }

 private:
  int fd_ = -1;
};

/// Why `workspace::open_beneath` refused or failed.
struct open_error {
  /// The errno value; EINVAL for lexical refusals, EXDEV for escapes.
  int err = 0;
  /// One line naming the path in its escaped form.
  std::string message;

  /// Returns whether the fault lies with the path the caller gave (missing,
  /// leaving the workspace, malformed) rather than with the file system.
  bool bad_path() const noexcept;
};

/// The directory tree that flows and file tools may read. Every path a
/// client names is opened relative to a descriptor of the root, never by an
/// absolute path string, so that renaming or exchanging directories while a
/// tool runs cannot lead it outside. Paths are given in the escaped wire
/// form of `tools/names.hpp`.
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

  /// Returns the descriptor of the root (opened with O_PATH).
  int root_fd() const noexcept;

  /// Opens `relative` (escaped form) with `flags` (O_CLOEXEC is added)
  /// without ever resolving outside the root: with openat2 and
  /// RESOLVE_BENEATH where the kernel has it, else component by component
  /// with O_NOFOLLOW, following relative symlinks by hand as long as they
  /// stay inside. Absolute symlinks, `..` in the given path and symlinks
  /// leading out are refused.
  std::variant<unique_fd, open_error> open_beneath(std::string_view relative,
                                                   int flags) const;

  /// Resolves a client-supplied relative path (escaped form) to a canonical
  /// absolute path inside the root, or returns a one-line reason: absolute
  /// paths, `..` components, symlinks leading outside and missing paths are
  /// refused. The path is for display and checks only: open files with
  /// `open_beneath`.
  std::variant<std::filesystem::path, std::string>
  resolve(std::string_view relative) const;

  /// Returns an empty string when `relative` (escaped form) is lexically
  /// acceptable (not absolute, no `..` component, no NUL byte), otherwise a
  /// one-line reason; touches no file.
  static std::string check_relative(std::string_view relative);

  /// Returns `absolute` (inside the root) as a workspace-relative path of
  /// raw bytes with forward slashes; the root itself is ".".
  std::string relative(const std::filesystem::path& absolute) const;

  /// Returns whether canonical `absolute` lies inside the root.
  bool contains(const std::filesystem::path& absolute) const;

  /// Turns the use of openat2 on or off for the whole process (tests use it
  /// to exercise the per-component fallback); on by default.
  static void use_openat2(bool enabled) noexcept;

 private:
  workspace(std::filesystem::path root, std::shared_ptr<unique_fd> fd)
      : root_(std::move(root)), root_fd_(std::move(fd)) {}

  std::variant<unique_fd, open_error> open_by_steps(const std::string& rel,
                                                    int flags) const;

  open_error describe(int err, const std::string& rel) const;

  std::filesystem::path root_;
  std::shared_ptr<unique_fd> root_fd_;
};

} // namespace switchboard::tools
