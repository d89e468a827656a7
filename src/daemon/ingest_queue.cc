#include "daemon/ingest_queue.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "common/logging.h"

namespace sluice::daemon {
namespace {

constexpr size_t kMinBlockBytes = 256 * 1024;

void LogRecovery(const std::string& path, const ingest::IngestRing::Recovery& found) {
  if (!found.unreadable.empty()) {
    LogWarn("ingest.ring: " + path + " was not read (" + found.unreadable +
            "); it is replaced by an empty ring");
  }
  if (found.blocks == 0) return;
  LogInfo("ingest.ring: a previous run left " + std::to_string(found.blocks) + " blocks: " +
          std::to_string(found.replayed) + " datagrams not yet stored are taken now, " +
          std::to_string(found.already_stored) + " were stored already, " +
          std::to_string(found.settled) + " were ignored or counted then");
  if (found.torn > 0) {
    LogWarn("ingest.ring: " + std::to_string(found.torn) +
            " datagram(s) did not read back whole (the process died writing them, or the file "
            "was damaged); counted as shed (ring_torn)");
  }
}

}  // namespace

Result<IngestQueue> OpenIngestQueue(const config::IngestSettings& ingest, spool::Spool& spool,
                                    Counters& counters) {
  const size_t block_bytes =
      std::max(kMinBlockBytes, ingest::DatagramBlock::RecordSize(ingest.max_datagram_bytes));
  const auto receivers = static_cast<size_t>(ingest.receivers);
  IngestQueue made;
  if (ingest.ring.empty()) {
    made.queue =
        std::make_unique<ingest::DatagramQueue>(ingest.queue_mb << 20, block_bytes, receivers);
    return made;
  }
  const auto blocks =
      static_cast<uint32_t>(std::max<size_t>(2, (ingest.queue_mb << 20) / block_bytes));
  std::unordered_map<uint64_t, bool> held;  // the spool's answer per batch id, asked once
  auto stored = [&](uint64_t batch_id) {
    auto [it, fresh] = held.try_emplace(batch_id, false);
    if (fresh) it->second = spool.Holds(batch_id);
    return it->second;
  };
  ingest::IngestRing::Recovery found;
  const ingest::IngestRing::Shape shape{block_bytes, blocks, static_cast<uint32_t>(receivers),
                                        ingest.max_datagram_bytes};
  auto ring = ingest::IngestRing::Open(ingest.ring, shape, stored, &found);
  if (!ring) return tl::unexpected(ring.error());
  LogRecovery(ingest.ring, found);
  counters.ring_replayed.fetch_add(found.replayed, std::memory_order_relaxed);
  if (found.torn > 0) counters.Shed(counters.shed_ring_torn, found.torn);
  made.ring = std::move(*ring);
  spool.SetAppendObserver([ring = made.ring.get()](uint64_t batch_id) { ring->Settle(batch_id); });
  made.queue = std::make_unique<ingest::DatagramQueue>(*made.ring, receivers);
  return made;
}

}  // namespace sluice::daemon
