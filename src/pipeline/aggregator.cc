#include "pipeline/aggregator.h"

#include <malloc.h>

#include <algorithm>
#include <charconv>
#include <utility>

#include "pipeline/network_prefix.h"

namespace sluice::pipeline {
namespace {

constexpr size_t kSampleBytes = 512;

// `text` cut to at most `limit` bytes without splitting a UTF-8 character.
std::string_view Prefix(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

Aggregator::Aggregator(Options options)
    : options_(std::move(options)),
      keyed_by_client_(std::find(options_.key.begin(), options_.key.end(), KeyField::kClientIp) !=
                       options_.key.end()) {}

bool Aggregator::Add(const format::EventRow& row) {
  std::array<char, 8> code{};
  std::string_view code_text;
  if (row.smtp_code) {
    auto [end, error] = std::to_chars(code.data(), code.data() + code.size(), *row.smtp_code);
    code_text = std::string_view(code.data(), static_cast<size_t>(end - code.data()));
  }
  KeyFields fields = {row.host,         row.mta, row.stage, row.client_ip,
                      row.reason_class, row.rbl, code_text};
  if (granularity_ != Granularity::kKey && keyed_by_client_) {
    CountFinerKeys(fields);
  }
  while (true) {
    BuildKey(options_.key, fields, granularity_, key_);
    auto it = entries_.find(std::string_view(key_));
    if (it != entries_.end()) {
      Entry& entry = it->second;
      ++entry.events;
      entry.first_seen_us = std::min(entry.first_seen_us, row.received_at_us);
      entry.last_seen_us = std::max(entry.last_seen_us, row.received_at_us);
      break;
    }
    if (entries_.size() < options_.max_keys) {
      Entry entry;
      entry.events = 1;
      entry.first_seen_us = entry.last_seen_us = row.received_at_us;
      entry.sample = Prefix(row.raw, kSampleBytes);
      entries_.emplace(key_, std::move(entry));
      break;
    }
    if (granularity_ == Granularity::kClass) return false;
    bool was_fine = granularity_ == Granularity::kKey;
    Coarsen();
    if (was_fine && keyed_by_client_) CountFinerKeys(fields);
  }
  ++events_;
  return true;
}

void Aggregator::CountFinerKeys(KeyFields& fields) {
  BuildKey(options_.key, fields, Granularity::kKey, scratch_);
  seen_keys_.Add(scratch_);
  NetworkOf(fields[Index(KeyField::kClientIp)], prefix_);
  fields[Index(KeyField::kClientIp)] = prefix_;
  BuildKey(options_.key, fields, Granularity::kPrefix, scratch_);
  seen_prefix_keys_.Add(scratch_);
}

void Aggregator::Merge(Map& into, std::string&& key, Entry&& entry) {
  auto [it, inserted] = into.try_emplace(std::move(key), std::move(entry));
  if (inserted) return;
  Entry& kept = it->second;
  kept.events += entry.events;
  if (entry.first_seen_us < kept.first_seen_us) kept.sample = std::move(entry.sample);
  kept.first_seen_us = std::min(kept.first_seen_us, entry.first_seen_us);
  kept.last_seen_us = std::max(kept.last_seen_us, entry.last_seen_us);
}

void Aggregator::Coarsen() {
  Granularity next = granularity_ == Granularity::kKey && keyed_by_client_ ? Granularity::kPrefix
                                                                           : Granularity::kClass;
  Map coarser;
  std::string key;
  for (auto& [old_key, entry] : entries_) {
    KeyFields fields = SplitKey(old_key);
    if (granularity_ == Granularity::kKey && keyed_by_client_) {
      CountFinerKeys(fields);  // fields now hold the network
    }
    BuildKey(options_.key, fields, next, key);
    Merge(coarser, std::move(key), std::move(entry));
  }
  entries_ = std::move(coarser);
  granularity_ = next;
}

void Aggregator::Drain(int64_t window_start_us, int64_t window_end_us,
                       const std::function<void(const format::AggregateRow&)>& emit) {
  for (const auto& [key, entry] : entries_) {
    KeyFields fields = SplitKey(key);
    format::AggregateRow row;
    row.window_start_us = window_start_us;
    row.window_end_us = window_end_us;
    row.host = fields[Index(KeyField::kHost)];
    row.mta = fields[Index(KeyField::kMta)];
    row.stage = fields[Index(KeyField::kStage)];
    row.client_ip = fields[Index(KeyField::kClientIp)];
    row.reason_class = fields[Index(KeyField::kReasonClass)];
    row.rbl = fields[Index(KeyField::kRbl)];
    std::string_view code = fields[Index(KeyField::kSmtpCode)];
    int16_t value = 0;
    if (!code.empty() &&
        std::from_chars(code.data(), code.data() + code.size(), value).ec == std::errc()) {
      row.smtp_code = value;
    }
    row.granularity = GranularityName(granularity_);
    row.events = entry.events;
    row.first_seen_us = entry.first_seen_us;
    row.last_seen_us = entry.last_seen_us;
    row.sample = entry.sample;
    emit(row);
  }
  // The next window: as fine as last window's distinct keys at the finer levels allow.
  const size_t fits = options_.max_keys - options_.max_keys / 4;
  if (granularity_ != Granularity::kKey) {
    if (seen_keys_.Estimate() <= fits) {
      granularity_ = Granularity::kKey;
    } else if (granularity_ == Granularity::kClass && keyed_by_client_ &&
               seen_prefix_keys_.Estimate() <= fits) {
      granularity_ = Granularity::kPrefix;
    }
  }
  seen_keys_.Clear();
  seen_prefix_keys_.Clear();
  const bool large = entries_.size() >= kLargeWindowKeys;
  Map().swap(entries_);  // its buckets too
  events_ = 0;
  // A flood's window held thousands of keys: hand their memory back to the system instead
  // of keeping it in malloc's free lists until the next flood.
  if (large) ::malloc_trim(0);
}

}  // namespace sluice::pipeline
