#include "ingest/datagram_block.h"

#include <zlib.h>

namespace sluice::ingest {

uint32_t DatagramRecordCrc(const DatagramRecordHeader& header, const char* payload) {
  struct Stamped {
    uint32_t size;
    uint32_t flags;
    int64_t received_at_us;
    uint32_t block_seq;
    uint32_t zero;
  } stamped{header.size, header.flags, header.received_at_us, header.block_seq, 0};
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(&stamped), sizeof stamped);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(payload), header.size);
  return static_cast<uint32_t>(crc);
}

}  // namespace sluice::ingest
