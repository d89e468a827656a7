#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::pipeline {

// The fields an aggregation key may be made of (flood.key).
enum class KeyField { kHost, kMta, kStage, kClientIp, kReasonClass, kRbl, kSmtpCode };
inline constexpr size_t kKeyFieldCount = 7;

// One value per KeyField, indexed by it; empty = absent.
using KeyFields = std::array<std::string_view, kKeyFieldCount>;

inline size_t Index(KeyField field) { return static_cast<size_t>(field); }

// The KeyField a flood.key entry names ("client_ip", ...), or nullopt.
std::optional<KeyField> KeyFieldNamed(std::string_view name);

// How fine the keys are: as configured, with client_ip cut to its /24 (IPv4) or /64 (IPv6)
// network, or reason class and host only. Each step is taken when the keys of a window reach
// max_keys (the keys already counted are merged into the coarser ones, nothing is lost).
enum class Granularity { kKey = 0, kPrefix = 1, kClass = 2 };

std::string_view GranularityName(Granularity granularity);

// Writes the key of `fields` to `out`: the fields of `key` (at kClass, only host and
// reason_class, the latter even when `key` lacks it), each as its KeyField, a 16-bit length
// and the value. At kPrefix the caller has already put the network in the client_ip slot.
// Stateless and thread-safe.
void BuildKey(const std::vector<KeyField>& key, const KeyFields& fields, Granularity granularity,
              std::string& out);

// Splits a key BuildKey wrote back into its fields (views into `key`).
KeyFields SplitKey(std::string_view key);

}  // namespace sluice::pipeline
