#pragma once

#include <filesystem>

namespace switchboard::test {

/// A temporary workspace with planted fake secrets, removed on destruction.
///
/// Layout and the findings an audit of "." must report (line numbers 1-based):
/// - `config/app.env`: line 2 `aws_access_key` (high), line 3
///   `generic_secret` (medium)
/// - `keys/deploy.pem`: line 1 `private_key` (high)
/// - `src/main.py`: line 4 `generic_secret` (medium)
/// - `shared/notes.txt`: mode 0666, `world_writable` (medium), no secret
/// - `data/big.bin`: 2048 bytes; `large_file` (low) when the audit runs with
///   `large_file_bytes` 1024
/// - `docs/readme.md`, `src/util.py`: clean
/// - `link_out`: a symlink to `/etc/hostname`, outside the tree (never read)
/// So with `large_file_bytes` 1024: 6 files scanned (symlink skipped), counts
/// high 2, medium 3, low 1.
/// Removes the tree at `root` descriptor by descriptor, so that paths
/// longer than PATH_MAX go too; returns false if something stayed.
bool remove_tree(const std::filesystem::path& root);

class fixture_tree {
 public:
  /// Creates the tree in a fresh temporary directory.
  fixture_tree();

  /// Removes the tree.
  ~fixture_tree();

  fixture_tree(const fixture_tree&) = delete;
  fixture_tree& operator=(const fixture_tree&) = delete;

  /// Returns the canonical root of the tree.
  const std::filesystem::path& root() const noexcept {
    return root_;
  }

 private:
  std::filesystem::path root_;
};

} // namespace switchboard::test
