#include "daemon/metrics_server.h"

#include <httplib.h>
#include <sys/socket.h>

namespace sluice::daemon {

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const config::ListenAddress& address,
                                                            Metrics metrics, Health health) {
  auto server = std::make_unique<httplib::Server>();
  server->new_task_queue = [] { return new httplib::ThreadPool(1); };
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, with which a second server
  // (another sluiced, say) would share the port instead of being refused.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server->Get("/metrics", [metrics](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server->Get("/healthz", [health](const httplib::Request&, httplib::Response& response) {
    auto [healthy, text] = health();
    response.status = healthy ? 200 : 503;
    response.set_content(text + "\n", "text/plain; charset=utf-8");
  });
  // An address 0.0.0.0 or [::] is the operator's choice; the default config serves loopback.
  std::string host = address.host == "localhost" ? "127.0.0.1" : address.host;
  int port = address.port;
  if (!server->bind_to_port(host, port)) {
    return Fail(ErrorCode::kUnavailable, "metrics.listen: cannot listen on " + host + ":" +
                                             std::to_string(port) +
                                             " (in use, or not an address of this host)");
  }
  std::string bound =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(server), bound));
}

MetricsServer::MetricsServer(std::unique_ptr<httplib::Server> server, std::string address)
    : server_(std::move(server)), address_(std::move(address)) {
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sluice::daemon
