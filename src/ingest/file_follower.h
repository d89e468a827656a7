#pragma once

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/counters.h"
#include "common/file_position.h"
#include "common/heartbeat.h"
#include "ingest/followed_chunk_queue.h"

namespace sluice::ingest {

// The thread that follows log files (`[[follow]]`) like `tail -F` (ingest/followed_file.h)
// and hands what they gain to `queue` in chunks of at most `max_lines` lines and about
// `max_bytes`. Each file starts at its entry in `resume` (where an earlier run's batches took
// it: spool::Spool::FollowPositions), else at its start. A file that is missing is waited
// for; one that cannot be opened or read is logged once until it can, counted
// (follow_errors) and tried again every second. Polls each file every 200 ms when idle.
// Thread-safe: Stop() from any one thread. `queue`, `counters` and `clock` must outlive this.
class FileFollower {
 public:
  struct Options {
    std::vector<std::string> paths;
    std::map<std::string, FilePosition> resume;
    size_t max_lines = 5000;
    size_t max_bytes = 4 << 20;
  };

  FileFollower(Options options, FollowedChunkQueue& queue, Counters& counters, const Clock& clock);
  ~FileFollower();
  FileFollower(const FileFollower&) = delete;
  FileFollower& operator=(const FileFollower&) = delete;

  // Beats as the thread goes round (waiting while it sleeps or waits for queue room).
  const Heartbeat& heartbeat() const { return heartbeat_; }

  // Stops reading; a chunk not yet handed over is dropped (its lines are read again at the
  // next start, since no batch marks them). Idempotent.
  void Stop();

 private:
  void Run(std::stop_token stop);

  const Options options_;
  FollowedChunkQueue& queue_;
  Counters& counters_;
  const Clock& clock_;
  Heartbeat heartbeat_;
  std::jthread thread_;  // last: started when everything above is ready
};

}  // namespace sluice::ingest
