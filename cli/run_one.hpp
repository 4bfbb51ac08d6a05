#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

namespace switchboard::cli {

/// Runs one asynchronous operation, started by `start` with a completion
/// handler, to its end on `ioc`, and returns its error code. The CLI works
/// step by step, but asynchronously so that Beast's timers bound each step:
/// a server that stops answering ends the command instead of hanging it.
template<class Start>
boost::system::error_code run_one(boost::asio::io_context& ioc, Start start) {
  bool done = false;
  boost::system::error_code result;
  start([&](boost::system::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  while (!done) {
    if (ioc.stopped())
      ioc.restart();
    if (ioc.run_one() == 0)
      break;
  }
  return result;
}

} // namespace switchboard::cli
