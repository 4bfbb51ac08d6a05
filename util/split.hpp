#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace switchboard::util {

/// Splits `value` at every `sep`; items stay as they are, empty ones
/// included (for callers that judge each item, such as token lists).
inline std::vector<std::string> split(std::string_view value, char sep) {
  std::vector<std::string> items;
  size_t i = 0;
  while (i <= value.size()) {
    auto j = value.find(sep, i);
    if (j == std::string_view::npos)
      j = value.size();
    items.emplace_back(value.substr(i, j - i));
    i = j + 1;
  }
  return items;
}

/// Splits a comma-separated list (a header value, an option) into its
/// trimmed, non-empty items.
inline std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> items;
  for (auto& item : split(value, ',')) {
    auto b = item.find_first_not_of(" \t");
    if (b == std::string::npos)
      continue;
    auto e = item.find_last_not_of(" \t");
    items.push_back(item.substr(b, e - b + 1));
  }
  return items;
}

} // namespace switchboard::util
