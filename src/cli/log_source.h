#pragma once

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <zstd.h>

#include "common/status.h"
#include "common/unique_fd.h"

namespace sluice::cli {

// The lines of a log file for `sluice import`: plain text, gzip (also concatenated members,
// as logrotate's `delaycompress` leaves them) or zstd, told apart by their magic bytes, not
// the file name; "-" reads standard input. Not thread-safe.
class LogSource {
 public:
  // Opens `path` ("-" for stdin). kInvalidArgument with the system's reason if it cannot.
  static Result<std::unique_ptr<LogSource>> Open(const std::string& path);
  ~LogSource();
  LogSource(const LogSource&) = delete;
  LogSource& operator=(const LogSource&) = delete;

  // The next line, without its "\n" (or "\r\n"), valid until the next call; nullopt at the end.
  // kCorruption when a compressed stream is damaged or cut short (the lines before it were
  // returned).
  Result<std::optional<std::string_view>> NextLine();

  const std::string& name() const { return name_; }
  uint64_t bytes_read() const { return bytes_read_; }   // from the file, compressed if it is
  uint64_t size() const { return size_; }               // of the file; 0 for a pipe
  int64_t modified_us() const { return modified_us_; }  // mtime; now for a pipe
  std::string_view format() const;                      // "plain", "gzip" or "zstd"

 private:
  enum class Format { kPlain, kGzip, kZstd };
  LogSource(UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}
  Status Init();
  // Reads and decodes more input onto `text_`; false at the end of the input.
  Result<bool> Refill();

  UniqueFd fd_;
  std::string name_;
  uint64_t bytes_read_ = 0, size_ = 0;
  int64_t modified_us_ = 0;
  Format format_ = Format::kPlain;
  std::string input_;  // raw bytes read, not yet decoded
  size_t input_at_ = 0;
  bool input_ended_ = false;
  std::string text_;  // decoded bytes; lines are cut from `line_at_`
  size_t line_at_ = 0;
  bool stream_ended_ = false;  // gzip/zstd: the last member/frame was complete
  z_stream gzip_{};
  bool gzip_open_ = false;
  ZSTD_DCtx* zstd_ = nullptr;
};

}  // namespace sluice::cli
