#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/http_client.hpp"

namespace switchboard::test {

/// One parsed SSE event.
struct sse_event {
  std::string id;
  std::string event;
  std::string data;
};

/// Incrementally parses an SSE stream (`stream` must be open).
struct sse_reader {
  test::http_stream stream;
  std::string buffer;
  std::vector<std::string> comments;
  std::string retry;

  // Returns the next event, or nullopt when the stream ended or timed out.
  std::optional<sse_event>
  next(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto pos = buffer.find("\n\n");
      while (pos != std::string::npos) {
        auto block = buffer.substr(0, pos);
        buffer.erase(0, pos + 2);
        sse_event ev;
        bool any = false;
        size_t i = 0;
        while (i <= block.size()) {
          auto j = block.find('\n', i);
          if (j == std::string::npos)
            j = block.size();
          auto line = block.substr(i, j - i);
          i = j + 1;
          if (line.empty())
            continue;
          if (line[0] == ':') {
            comments.push_back(line);
          } else if (line.rfind("retry: ", 0) == 0) {
            retry = line.substr(7);
          } else if (line.rfind("id: ", 0) == 0) {
            ev.id = line.substr(4);
            any = true;
          } else if (line.rfind("event: ", 0) == 0) {
            ev.event = line.substr(7);
            any = true;
          } else if (line.rfind("data: ", 0) == 0) {
            ev.data = line.substr(6);
            any = true;
          }
        }
        if (any)
          return ev;
        pos = buffer.find("\n\n");
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      auto chunk = stream.read_some(left);
      if (!chunk)
        return std::nullopt;
      buffer += *chunk;
    }
  }

  // Reads events until one of type `type`; returns all read.
  std::vector<sse_event>
  until(const std::string& type,
        std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::vector<sse_event> out;
    while (auto ev = next(timeout)) {
      out.push_back(*ev);
      if (ev->event == type)
        return out;
    }
    FAIL("stream ended before an event of type " << type);
    return out;
  }
};

} // namespace switchboard::test
