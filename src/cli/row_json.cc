#include "cli/row_json.h"

#include <array>
#include <cstdio>

namespace sluice::cli {

std::string FieldsToJson(const std::vector<format::DecodedField>& fields) {
  std::string out = "{";
  for (const format::DecodedField& field : fields) {
    if (field.null) continue;
    if (out.size() > 1) out.push_back(',');
    out.append("\"").append(field.name).append("\":");
    if (!field.quoted) {
      out.append(field.text);
      continue;
    }
    out.push_back('"');
    for (char c : field.text) {
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
  }
  out.push_back('}');
  return out;
}

}  // namespace sluice::cli
