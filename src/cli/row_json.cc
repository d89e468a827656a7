#include "cli/row_json.h"

#include <array>
#include <cstdio>

namespace sluice::cli {

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      std::array<char, 8> escaped{};
      std::snprintf(escaped.data(), escaped.size(), "\\u%04x", static_cast<unsigned>(c));
      out.append(escaped.data());
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string FieldsToJson(const std::vector<format::DecodedField>& fields) {
  std::string out = "{";
  for (const format::DecodedField& field : fields) {
    if (field.null) continue;
    if (out.size() > 1) out.push_back(',');
    out.append("\"").append(field.name).append("\":");
    out.append(field.quoted ? JsonString(field.text) : field.text);
  }
  out.push_back('}');
  return out;
}

}  // namespace sluice::cli
