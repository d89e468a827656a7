#include "pipeline/aggregator.h"

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <utility>

namespace sluice::pipeline {
namespace {

constexpr size_t kFieldCount = 7;
constexpr size_t kSampleBytes = 512;
constexpr int kBitmapBits = 20;  // linear counting over 2^20 bits: 128 KiB, good to ~5 M
constexpr size_t kBitmapWords = (size_t{1} << kBitmapBits) / 64;

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "host", "mta", "stage", "client_ip", "reason_class", "rbl", "smtp_code"};

size_t Index(KeyField field) { return static_cast<size_t>(field); }

// The /24 (IPv4) or /64 (IPv6) network of `address` as text, or "" if it is no address.
void NetworkOf(std::string_view address, std::string& out) {
  out.clear();
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.empty() || address.size() >= text.size()) return;
  address.copy(text.data(), address.size());
  std::array<unsigned char, 16> bytes{};
  std::array<char, INET6_ADDRSTRLEN> network{};
  if (inet_pton(AF_INET, text.data(), bytes.data()) == 1) {
    bytes[3] = 0;
    inet_ntop(AF_INET, bytes.data(), network.data(), network.size());
    out.append(network.data()).append("/24");
  } else if (inet_pton(AF_INET6, text.data(), bytes.data()) == 1) {
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    inet_ntop(AF_INET6, bytes.data(), network.data(), network.size());
    out.append(network.data()).append("/64");
  }
}

// `text` cut to at most `limit` bytes without splitting a UTF-8 character.
std::string_view Prefix(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// Splits a key BuildKey wrote back into its fields.
std::array<std::string_view, kFieldCount> Fields(std::string_view key) {
  std::array<std::string_view, kFieldCount> fields{};
  size_t at = 0;
  while (at + 3 <= key.size()) {
    auto field = static_cast<size_t>(key[at]);
    size_t length = static_cast<size_t>(static_cast<unsigned char>(key[at + 1])) << 8 |
                    static_cast<unsigned char>(key[at + 2]);
    at += 3;
    if (field < kFieldCount) fields[field] = key.substr(at, length);
    at += length;
  }
  return fields;
}

}  // namespace

std::optional<KeyField> KeyFieldNamed(std::string_view name) {
  for (size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == name) return static_cast<KeyField>(i);
  }
  return std::nullopt;
}

std::string_view GranularityName(Granularity granularity) {
  switch (granularity) {
    case Granularity::kKey:
      return "key";
    case Granularity::kPrefix:
      return "prefix";
    case Granularity::kClass:
      return "class";
  }
  return "key";
}

Aggregator::Aggregator(Options options)
    : options_(std::move(options)),
      keyed_by_client_(std::find(options_.key.begin(), options_.key.end(),
                                 KeyField::kClientIp) != options_.key.end()),
      seen_keys_(kBitmapWords),
      seen_prefix_keys_(kBitmapWords) {}

void Aggregator::BuildKey(const std::array<std::string_view, 7>& fields, Granularity granularity,
                          std::string& out) const {
  out.clear();
  auto put = [&](KeyField field, std::string_view value) {
    value = value.substr(0, 0xFFFF);
    out.push_back(static_cast<char>(Index(field)));
    out.push_back(static_cast<char>(value.size() >> 8));
    out.push_back(static_cast<char>(value.size() & 0xFF));
    out.append(value);
  };
  for (KeyField field : options_.key) {
    if (granularity == Granularity::kClass && field != KeyField::kHost &&
        field != KeyField::kReasonClass) {
      continue;
    }
    put(field, fields[Index(field)]);
  }
  if (granularity == Granularity::kClass &&
      std::find(options_.key.begin(), options_.key.end(), KeyField::kReasonClass) ==
          options_.key.end()) {
    put(KeyField::kReasonClass, fields[Index(KeyField::kReasonClass)]);
  }
}

bool Aggregator::Add(const format::EventRow& row) {
  std::array<char, 8> code{};
  std::string_view code_text;
  if (row.smtp_code) {
    auto [end, error] = std::to_chars(code.data(), code.data() + code.size(), *row.smtp_code);
    code_text = std::string_view(code.data(), static_cast<size_t>(end - code.data()));
  }
  std::array<std::string_view, kFieldCount> fields = {
      row.host, row.mta, row.stage, row.client_ip, row.reason_class, row.rbl, code_text};
  if (granularity_ != Granularity::kKey && keyed_by_client_) {
    CountFinerKeys(fields);
  }
  while (true) {
    BuildKey(fields, granularity_, key_);
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

void Aggregator::CountFinerKeys(std::array<std::string_view, 7>& fields) {
  BuildKey(fields, Granularity::kKey, scratch_);
  Mark(seen_keys_, scratch_);
  NetworkOf(fields[Index(KeyField::kClientIp)], prefix_);
  fields[Index(KeyField::kClientIp)] = prefix_;
  BuildKey(fields, Granularity::kPrefix, scratch_);
  Mark(seen_prefix_keys_, scratch_);
}

void Aggregator::Merge(Map& into, std::string&& key, Entry&& entry) const {
  auto [it, inserted] = into.try_emplace(std::move(key), std::move(entry));
  if (inserted) return;
  Entry& kept = it->second;
  kept.events += entry.events;
  if (entry.first_seen_us < kept.first_seen_us) kept.sample = std::move(entry.sample);
  kept.first_seen_us = std::min(kept.first_seen_us, entry.first_seen_us);
  kept.last_seen_us = std::max(kept.last_seen_us, entry.last_seen_us);
}

void Aggregator::Coarsen() {
  Granularity next = granularity_ == Granularity::kKey && keyed_by_client_
                         ? Granularity::kPrefix
                         : Granularity::kClass;
  Map coarser;
  std::string key;
  for (auto& [old_key, entry] : entries_) {
    std::array<std::string_view, kFieldCount> fields = Fields(old_key);
    if (granularity_ == Granularity::kKey && keyed_by_client_) {
      CountFinerKeys(fields);  // fields now hold the network
    }
    BuildKey(fields, next, key);
    Merge(coarser, std::move(key), std::move(entry));
  }
  entries_ = std::move(coarser);
  granularity_ = next;
}

void Aggregator::Drain(int64_t window_start_us, int64_t window_end_us,
                       const std::function<void(const format::AggregateRow&)>& emit) {
  for (const auto& [key, entry] : entries_) {
    std::array<std::string_view, kFieldCount> fields = Fields(key);
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
    if (Estimate(seen_keys_) <= fits) {
      granularity_ = Granularity::kKey;
    } else if (granularity_ == Granularity::kClass && keyed_by_client_ &&
               Estimate(seen_prefix_keys_) <= fits) {
      granularity_ = Granularity::kPrefix;
    }
  }
  std::fill(seen_keys_.begin(), seen_keys_.end(), 0);
  std::fill(seen_prefix_keys_.begin(), seen_prefix_keys_.end(), 0);
  entries_.clear();
  events_ = 0;
}

void Aggregator::Mark(std::vector<uint64_t>& bitmap, std::string_view value) {
  uint64_t bit = (std::hash<std::string_view>{}(value) * 0x9E3779B97F4A7C15ull) >>
                 (64 - kBitmapBits);
  bitmap[bit / 64] |= uint64_t{1} << (bit % 64);
}

size_t Aggregator::Estimate(const std::vector<uint64_t>& bitmap) {
  size_t set = 0;
  for (uint64_t word : bitmap) set += static_cast<size_t>(std::popcount(word));
  const double bits = static_cast<double>(bitmap.size() * 64);
  const size_t zeros = bitmap.size() * 64 - set;
  if (zeros == 0) return SIZE_MAX;
  return static_cast<size_t>(-bits * std::log(static_cast<double>(zeros) / bits));
}

}  // namespace sluice::pipeline
