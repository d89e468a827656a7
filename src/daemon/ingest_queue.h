#pragma once

#include <memory>

#include "common/counters.h"
#include "common/status.h"
#include "config/settings.h"
#include "ingest/datagram_queue.h"
#include "ingest/ingest_ring.h"
#include "spool/spool.h"

namespace sluice::daemon {

// The queue between the receivers and the pipeline, and the ingest ring its blocks live in
// when ingest.ring is set.
struct IngestQueue {
  std::unique_ptr<ingest::IngestRing> ring;  // null without ingest.ring
  std::unique_ptr<ingest::DatagramQueue> queue;
};

// Makes the queue: ingest.queue_mb in blocks large enough for the longest datagram. With
// ingest.ring, maps the ring (recovering what a previous run left there: logged, and counted
// as ring_replayed and shed ring_torn) and has `spool` settle the ring's batches as it
// appends them. Call once, before the pipeline starts; `spool` must be open.
Result<IngestQueue> OpenIngestQueue(const config::IngestSettings& ingest, spool::Spool& spool,
                                    Counters& counters);

}  // namespace sluice::daemon
