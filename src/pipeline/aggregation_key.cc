#include "pipeline/aggregation_key.h"

#include <algorithm>

namespace sluice::pipeline {
namespace {

constexpr std::array<std::string_view, kKeyFieldCount> kFieldNames = {
    "host", "mta", "stage", "client_ip", "reason_class", "rbl", "smtp_code"};

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

void BuildKey(const std::vector<KeyField>& key, const KeyFields& fields, Granularity granularity,
              std::string& out) {
  out.clear();
  auto put = [&](KeyField field, std::string_view value) {
    value = value.substr(0, 0xFFFF);
    out.push_back(static_cast<char>(Index(field)));
    out.push_back(static_cast<char>(value.size() >> 8));
    out.push_back(static_cast<char>(value.size() & 0xFF));
    out.append(value);
  };
  for (KeyField field : key) {
    if (granularity == Granularity::kClass && field != KeyField::kHost &&
        field != KeyField::kReasonClass) {
      continue;
    }
    put(field, fields[Index(field)]);
  }
  if (granularity == Granularity::kClass &&
      std::find(key.begin(), key.end(), KeyField::kReasonClass) == key.end()) {
    put(KeyField::kReasonClass, fields[Index(KeyField::kReasonClass)]);
  }
}

KeyFields SplitKey(std::string_view key) {
  KeyFields fields{};
  size_t at = 0;
  while (at + 3 <= key.size()) {
    auto field = static_cast<size_t>(key[at]);
    size_t length = static_cast<size_t>(static_cast<unsigned char>(key[at + 1])) << 8 |
                    static_cast<unsigned char>(key[at + 2]);
    at += 3;
    if (field < kKeyFieldCount) fields[field] = key.substr(at, length);
    at += length;
  }
  return fields;
}

}  // namespace sluice::pipeline
