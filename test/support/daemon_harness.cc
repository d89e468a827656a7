#include "support/daemon_harness.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>

#include "support/paths.h"

namespace sluice::testing {

DaemonHarness::DaemonHarness(const PgSandbox& pg, std::map<std::string, std::string> overrides)
    : socket_path_(dir_.File("in.sock")), config_path_(dir_.File("sluice.toml")) {
  std::map<std::string, std::map<std::string, std::string>> tables;
  tables["ingest"]["socket"] = "\"" + socket_path_ + "\"";
  tables["database"]["conninfo"] = "\"" + pg.writer_conninfo() + "\"";  // least privilege
  tables["database"]["batch_ms"] = "50";
  tables["spool"]["dir"] = "\"" + dir_.File("spool") + "\"";
  tables["database"]["backoff_max_ms"] = "500";
  // Tests of the detail path count rows one by one; the flood tests turn aggregation on.
  tables["flood"]["mode"] = "\"never\"";
  for (const auto& [key, value] : overrides) {
    size_t dot = key.find('.');
    tables[key.substr(0, dot)][key.substr(dot + 1)] = value;
  }
  std::ofstream out(config_path_);
  for (const auto& [table, keys] : tables) {
    out << "[" << table << "]\n";
    for (const auto& [key, value] : keys) out << key << " = " << value << "\n";
  }
}

DaemonHarness::~DaemonHarness() {
  if (process_) (void)process_->Wait(std::chrono::seconds(0));
}

void DaemonHarness::AppendConfig(const std::string& toml) {
  std::ofstream(config_path_, std::ios::app) << toml;
}

bool DaemonHarness::Start() {
  process_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{SLUICE_SLUICED, "--config", config_path_}, dir_.File("out.log"),
      listen_fd_);
  // The socket file may be a stale one from a killed run: wait for sluiced to say it listens.
  return WaitUntil([&] { return process_->Output().find("listening on") != std::string::npos; },
                   std::chrono::seconds(20));
}

ProcessResult DaemonHarness::Stop(std::chrono::seconds timeout) {
  if (!process_) return {};
  process_->Signal(SIGTERM);
  return process_->Wait(timeout);
}

ProcessResult DaemonHarness::Kill() {
  if (!process_) return {};
  process_->Signal(SIGKILL);
  return process_->Wait(std::chrono::seconds(30));
}

std::string DaemonHarness::LiveCounters() {
  if (!process_) return "";
  auto count = [&] {
    std::string output = process_->Output();
    size_t n = 0;
    for (size_t at = output.find("counters: "); at != std::string::npos;
         at = output.find("counters: ", at + 1)) {
      ++n;
    }
    return n;
  };
  size_t before = count();
  process_->Signal(SIGUSR1);
  if (!WaitUntil([&] { return count() > before; }, std::chrono::seconds(10))) return "";
  std::string output = process_->Output();
  size_t line = output.rfind("counters: ");
  return output.substr(line, output.find('\n', line) - line);
}

std::map<std::string, std::string> ReaderConfig(const PgSandbox& pg) {
  std::string conninfo = "\"";
  conninfo += pg.conninfo();
  conninfo += "\"";
  return {{"database.conninfo", conninfo}};
}

long long TestScale(long long normal) {
  const char* env = std::getenv("SLUICE_TEST_DATAGRAMS");
  return env != nullptr ? std::min(normal, std::atoll(env)) : normal;
}

std::chrono::seconds TestOutage(std::chrono::seconds normal) {
  const char* env = std::getenv("SLUICE_TEST_OUTAGE_S");
  return env != nullptr ? std::min(normal, std::chrono::seconds(std::atoll(env))) : normal;
}

long long SummaryValue(const std::string& output, const std::string& key) {
  size_t stopped = output.rfind("stopped: ");
  size_t counters = output.rfind("counters: ");
  size_t line = stopped == std::string::npos    ? counters
                : counters == std::string::npos ? stopped
                                                : std::max(stopped, counters);
  if (line == std::string::npos) return -1;
  std::smatch m;
  std::string rest = output.substr(line);
  if (!std::regex_search(rest, m, std::regex("[ (]" + key + "=([0-9]+)"))) return -1;
  return std::stoll(m[1]);
}

bool SendDatagram(const std::string& socket_path, std::string_view datagram) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  ssize_t n = ::sendto(fd, datagram.data(), datagram.size(), 0,
                       reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::close(fd);
  return n == static_cast<ssize_t>(datagram.size());
}

int FreeTcpPort() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return 0;
  }
  return ntohs(address.sin_port);
}

UniqueFd BindDatagramSocket(const std::string& socket_path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socket_path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  timeval timeout{10, 0};
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
    return UniqueFd();
  }
  return fd;
}

}  // namespace sluice::testing
