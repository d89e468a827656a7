#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/file_position.h"
#include "common/mutex.h"

namespace sluice::ingest {

// Complete lines read from a followed file, and where the file stands after the last of them.
struct FollowedChunk {
  std::string source;  // the file's path, as configured
  FilePosition end;
  std::vector<std::string> lines;  // without their newline
  int64_t read_at_us = 0;          // wall clock
};

// Carries chunks from the follower thread to the pipeline. Bounded: Push() waits while
// `capacity` chunks wait, so a file is read no faster than the pipeline and the spool take it
// (the file itself is the buffer; nothing is shed). Thread-safe: one pusher, one popper.
class FollowedChunkQueue {
 public:
  explicit FollowedChunkQueue(size_t capacity = 2) : capacity_(capacity) {}

  // Waits for room; false, dropping `chunk`, when `stop` is requested first.
  bool Push(FollowedChunk&& chunk, std::stop_token stop) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    room_.wait(lock, stop, [this]() REQUIRES(mu_) { return chunks_.size() < capacity_; });
    if (stop.stop_requested()) return false;
    chunks_.push_back(std::move(chunk));
    return true;
  }

  // The oldest chunk, if any; never waits.
  std::optional<FollowedChunk> TryPop() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    if (chunks_.empty()) return std::nullopt;
    FollowedChunk chunk = std::move(chunks_.front());
    chunks_.pop_front();
    room_.notify_all();
    return chunk;
  }

 private:
  const size_t capacity_;
  Mutex mu_;
  std::condition_variable_any room_;
  std::deque<FollowedChunk> chunks_ GUARDED_BY(mu_);
};

}  // namespace sluice::ingest
