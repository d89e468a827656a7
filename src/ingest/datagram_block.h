#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace sluice::ingest {

// One received datagram as seen by the pipeline. `payload` points into its DatagramBlock.
struct Datagram {
  std::string_view payload;
  int64_t received_at_us;  // wall clock, microseconds since the Unix epoch
  bool truncated;          // longer than ingest.max_datagram_bytes; payload holds the head
};

// A fixed-size buffer of datagrams packed back to back, the unit that travels through the
// ingest queue. Filled by one receiver, then read by one pipeline thread.
// Not thread-safe: owned by one thread at a time (the queue hands it over).
class DatagramBlock {
 public:
  // `index`: its place among its queue's blocks.
  DatagramBlock(size_t capacity, uint32_t index)
      : data_(std::make_unique_for_overwrite<std::byte[]>(capacity)),
        capacity_(capacity),
        index_(index) {}

  // Bytes a datagram of `payload_size` takes in a block, header and padding included.
  static constexpr size_t RecordSize(size_t payload_size) {
    return (sizeof(Header) + payload_size + 7) & ~size_t{7};
  }

  // Appends a datagram; returns false, changing nothing, when it does not fit.
  bool Append(const char* payload, size_t size, int64_t received_at_us, bool truncated) {
    size_t record = RecordSize(size);
    if (record > capacity_ - used_) return false;
    Header header{static_cast<uint32_t>(size), truncated ? 1u : 0u, received_at_us};
    std::memcpy(data_.get() + used_, &header, sizeof header);
    std::memcpy(data_.get() + used_ + sizeof header, payload, size);
    used_ += record;
    ++count_;
    return true;
  }

  // Calls `fn(const Datagram&)` for each datagram in arrival order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    size_t offset = 0;
    while (offset < used_) {
      Header header;
      std::memcpy(&header, data_.get() + offset, sizeof header);
      const char* payload = reinterpret_cast<const char*>(data_.get() + offset + sizeof header);
      fn(Datagram{std::string_view(payload, header.size), header.received_at_us,
                  header.flags != 0});
      offset += RecordSize(header.size);
    }
  }

  void Clear() { used_ = count_ = 0; }
  bool empty() const { return count_ == 0; }
  size_t count() const { return count_; }
  size_t capacity() const { return capacity_; }
  uint32_t index() const { return index_; }

 private:
  struct Header {
    uint32_t size;
    uint32_t flags;
    int64_t received_at_us;
  };

  std::unique_ptr<std::byte[]> data_;
  size_t capacity_;
  uint32_t index_;
  size_t used_ = 0;
  size_t count_ = 0;
};

}  // namespace sluice::ingest
