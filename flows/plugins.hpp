#pragma once

#include <string>
#include <variant>
#include <vector>

namespace switchboard::flows {

/// A flows plugin the server loaded, for the log.
struct loaded_plugin {
  /// The path as given to `--flows`.
  std::string path;
  /// The kinds it registered, in order.
  std::vector<std::string> kinds;
};

/// Loads the flows plugins at `paths` (shared libraries, see registrar.hpp)
/// and adds their kinds to the catalog, all or none, before anything reads
/// it. Returns the plugins, or a one-line reason naming the file that was
/// refused: it cannot be loaded, lacks the entry point, was built against
/// another SDK version, or registers a kind that `check_new_kind` refuses or
/// another of `paths` registered too. Libraries stay loaded for the life of
/// the process.
std::variant<std::vector<loaded_plugin>, std::string>
load_plugins(const std::vector<std::string>& paths);

} // namespace switchboard::flows
