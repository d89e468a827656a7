#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "format/batch.h"

namespace sluice::spool {

// What a spool record's zstd frame holds once decompressed (docs/spool_format.md):
//   segment version 2: batch id u64 | rows u32 | malformed u32 | events COPY stream
//   segment version 3: batch id u64 | format u32 | rows u32 | malformed u32 |
//                      aggregate rows u32 | aggregated events u64 | shed rows u32 |
//                      shed events u64 | three stream lengths u64 | the three streams
//   segment version 5: version 3's metadata | marks length u64 | the three streams | marks
//     marks := count u32 | (source length u32 | source | inode u64 | generation u32 |
//              offset u64)*   (format::SourceMark)
// (all integers little-endian). Version 1 frames are version 2's, 4's are 3's.
// Stateless, thread-safe.

// Appends the version-5 content of `batch` to `out`.
void AppendFrameContent(const format::Batch& batch, std::string& out);

// The batch in `content`, written in segment version `version`. kCorruption when the sizes
// inside do not add up.
Result<format::Batch> DecodeFrameContent(std::string&& content, uint32_t version);

// The smallest content of any version.
inline constexpr size_t kMinFrameContentSize = 16;

}  // namespace sluice::spool
