#pragma once

#include <string>

#include <rapidjson/document.h>

namespace switchboard::cli {

/// One human-readable line for task event `ev` (no newline), e.g.
/// `#3 progress 3/10 tick`; `color` adds ANSI colours to terminal events.
std::string event_line(const rapidjson::Value& ev, bool color);

/// Human-readable lines for a `kinds` reply: each kind and its params.
std::string kinds_text(const rapidjson::Value& reply);

/// Human-readable lines for a `tools` reply: each tool and its args.
std::string tools_text(const rapidjson::Value& reply);

/// Human-readable lines for a `tasks` reply: one task per line.
std::string tasks_text(const rapidjson::Value& reply);

/// `value` as indented JSON text.
std::string pretty_json(const rapidjson::Value& value);

} // namespace switchboard::cli
