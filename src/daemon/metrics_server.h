#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "config/listen_address.h"

namespace httplib {
class Server;
}

namespace sluice::daemon {

// The monitoring endpoint: GET /metrics answers `metrics()` as text/plain; version=0.0.4,
// GET /healthz answers 200 "ok" or 503 with `health()`'s reasons (what `health()` returns:
// {healthy, text}). Served by cpp-httplib on a thread of its own with one worker, so a
// scrape never takes CPU from more than one thread and never touches the receive path.
// Thread-safe: the callbacks are called on the server's thread; the destructor stops it.
class MetricsServer {
 public:
  using Metrics = std::function<std::string()>;
  using Health = std::function<std::pair<bool, std::string>()>;

  // Binds `address` (kUnavailable when it cannot: in use, not an address of this host) and
  // starts serving.
  static Result<std::unique_ptr<MetricsServer>> Start(const config::ListenAddress& address,
                                                      Metrics metrics, Health health);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // "HOST:PORT" as bound.
  const std::string& address() const { return address_; }

 private:
  MetricsServer(std::unique_ptr<httplib::Server> server, std::string address);

  std::unique_ptr<httplib::Server> server_;
  std::string address_;
  std::thread thread_;
};

}  // namespace sluice::daemon
