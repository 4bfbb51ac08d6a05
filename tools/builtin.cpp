#include "tools/builtin.hpp"

#include "tools/fs_tools.hpp"
#include "tools/secrets.hpp"
#include "tools/text_search.hpp"

namespace switchboard::tools {

std::vector<tool> builtin_tools() {
  return {fs_list_tool(), fs_read_tool(), fs_hash_tool(), text_search_tool(),
          secrets_scan_tool()};
}

} // namespace switchboard::tools
