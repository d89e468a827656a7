#pragma once

#include "common/clock.h"
#include "common/counters.h"
#include "ingest/datagram_queue.h"
#include "ingest/file_follower.h"
#include "pipeline/pipeline.h"
#include "sink/writer_pool.h"
#include "spool/spool.h"

namespace sluice::daemon {

// The parts of a running sluiced that its health, its metrics and its STATUS= line read.
// Every part must outlive the view; reading through it is thread-safe.
struct DaemonView {
  const Counters& counters;
  const ingest::DatagramQueue& queue;
  const spool::Spool& spool;
  const sink::WriterPool& pool;
  const pipeline::Pipeline& pipeline;
  const Clock& clock;
  const ingest::FileFollower* follower;  // null when no file is followed
};

}  // namespace sluice::daemon
