#include "spool/segment_format.h"

#include <zlib.h>

namespace sluice::spool {

uint32_t RecordHeaderChecksum(std::string_view magic_and_length) {
  return static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0),
                                     reinterpret_cast<const Bytef*>(magic_and_length.data()),
                                     static_cast<uInt>(magic_and_length.size())));
}

}  // namespace sluice::spool
