#pragma once

#include <string>
#include <string_view>

namespace sluice::parse {

// True when `bytes` can be stored verbatim in a PostgreSQL text column: valid UTF-8 with no
// NUL byte. Thread-safe.
bool IsStorableText(std::string_view bytes);

// A reversible text form of arbitrary bytes: backslash becomes "\\", and every NUL, other
// C0 control except tab, DEL and byte that is not part of valid UTF-8 becomes "\xHH".
// Used for malformed datagrams only; well-formed lines are stored as they came. Thread-safe.
std::string EscapeRaw(std::string_view bytes);

}  // namespace sluice::parse
