#pragma once

#include <vector>

#include "tools/tool.hpp"

namespace switchboard::tools {

/// Returns the built-in tools: fs.list, fs.read, fs.hash, text.search and
/// secrets.scan, all confined to the workspace passed when they run.
std::vector<tool> builtin_tools();

} // namespace switchboard::tools
