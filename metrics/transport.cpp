#include "metrics/transport.hpp"

namespace switchboard::metrics {

std::function<void(transport::connection_event, int64_t)>
transport_observer(registry_ptr reg) {
  if (!reg)
    return {};
  return [reg](transport::connection_event e, int64_t amount) {
    using transport::connection_event;
    switch (e) {
    case connection_event::queue_bytes:
      reg->queue_bytes(amount);
      break;
    case connection_event::slow_consumer:
      reg->disconnect(channel::websocket, disconnect_reason::slow_consumer);
      break;
    case connection_event::heartbeat_lost:
      reg->disconnect(channel::websocket, disconnect_reason::heartbeat);
      break;
    case connection_event::sse_slow_consumer:
      reg->disconnect(channel::sse, disconnect_reason::slow_consumer);
      break;
    }
  };
}

} // namespace switchboard::metrics
