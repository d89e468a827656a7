#include "daemon/ingest_socket.h"

#include <systemd/sd-daemon.h>

#include <cstring>

namespace sluice::daemon {

Result<ingest::DatagramSocket> OpenIngestSocket(const config::IngestSettings& ingest,
                                                bool* passed) {
  const ingest::SocketOptions options{ingest.socket, ingest.socket_mode, ingest.socket_group,
                                      ingest.rcvbuf_kb};
  const int count = ::sd_listen_fds(/*unset_environment=*/1);
  *passed = count > 0;
  if (count < 0) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("LISTEN_FDS from the service manager: ") + std::strerror(-count));
  }
  if (count == 0) return ingest::DatagramSocket::Bind(options);
  if (count > 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "the service manager passed " + std::to_string(count) +
                    " sockets (LISTEN_FDS); sluiced takes one: sluiced.socket must have a "
                    "single ListenDatagram=");
  }
  return ingest::DatagramSocket::Adopt(UniqueFd(SD_LISTEN_FDS_START), options);
}

}  // namespace sluice::daemon
