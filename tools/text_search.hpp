#pragma once

#include <cstddef>
#include <cstdint>

#include "tools/tool.hpp"

namespace switchboard::tools {

/// Files larger than this are not searched.
inline constexpr uint64_t max_search_file_bytes = 10 * 1024 * 1024;

/// Most bytes of a matching line that `text.search` returns.
inline constexpr size_t max_match_text_bytes = 200;

/// Returns the `text.search` tool: RE2 search, line by line, of a file or
/// of every text file below a directory.
tool text_search_tool();

} // namespace switchboard::tools
