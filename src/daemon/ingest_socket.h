#pragma once

#include "common/status.h"
#include "config/settings.h"
#include "ingest/datagram_socket.h"

namespace sluice::daemon {

// The socket the MTAs write to: the one the service manager passes (socket activation:
// sluiced.socket, LISTEN_FDS), which outlives sluiced with what waits in it, or else one
// sluiced binds itself at ingest.socket. More than one passed socket, or one that is not a
// Unix datagram socket at ingest.socket, is refused with the reason. Call once, from the
// main thread, before other threads start (it unsets LISTEN_FDS).
Result<ingest::DatagramSocket> OpenIngestSocket(const config::IngestSettings& ingest, bool* passed);

}  // namespace sluice::daemon
