#include "pipeline/batcher.h"

#include <algorithm>
#include <utility>

#include "format/copy_encoder.h"

namespace sluice::pipeline {

Batcher::Batcher(size_t max_rows, std::chrono::milliseconds max_age, uint64_t id_base, Emit emit,
                 size_t max_bytes)
    : max_rows_(max_rows),
      max_age_(max_age),
      max_bytes_(max_bytes),
      next_id_(id_base),
      emit_(std::move(emit)) {}

uint64_t Batcher::Add(const format::EventRow& row, Clock::time_point now) {
  if (!open_) {
    open_.emplace();
    open_->id = next_id_++;
    open_->oldest_event_us = row.received_at_us;
    open_->copy_data.reserve(std::min(max_rows_ * 320 + 32, max_bytes_));
    format::CopyEncoder::AppendHeader(open_->copy_data);
    opened_at_ = now;
  }
  format::CopyEncoder::AppendRow(open_->copy_data, row, static_cast<int64_t>(open_->id));
  ++open_->rows;
  if (row.malformed) ++open_->malformed;
  const uint64_t id = open_->id;
  if (open_->rows >= max_rows_ || open_->copy_data.size() >= max_bytes_) Flush();
  return id;
}

void Batcher::Tick(Clock::time_point now) {
  if (open_ && now - opened_at_ >= max_age_) Flush();
}

void Batcher::Flush() {
  if (!open_) return;
  format::CopyEncoder::AppendTrailer(open_->copy_data);
  format::Batch batch = std::move(*open_);
  open_.reset();
  emit_(std::move(batch));
}

std::optional<Batcher::Clock::time_point> Batcher::deadline() const {
  if (!open_) return std::nullopt;
  return opened_at_ + max_age_;
}

}  // namespace sluice::pipeline
