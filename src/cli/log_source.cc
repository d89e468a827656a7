#include "cli/log_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace sluice::cli {
namespace {

constexpr size_t kChunkBytes = 256 << 10;
// A "line" longer than this (a file with no line ends) is cut; it is longer than any
// ingest.max_datagram_bytes, so the piece is stored as a truncated, malformed row.
constexpr size_t kMaxLineBytes = 8 << 20;

tl::unexpected<Error> Damaged(const std::string& name, std::string_view why) {
  return Fail(ErrorCode::kCorruption, name + ": " + std::string(why));
}

}  // namespace

Result<std::unique_ptr<LogSource>> LogSource::Open(const std::string& path) {
  UniqueFd fd(path == "-" ? ::dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return Fail(ErrorCode::kInvalidArgument, path + ": " + std::strerror(errno));
  }
  std::unique_ptr<LogSource> source(new LogSource(std::move(fd), path == "-" ? "stdin" : path));
  SLUICE_RETURN_IF_ERROR(source->Init());
  return source;
}

LogSource::~LogSource() {
  if (gzip_open_) inflateEnd(&gzip_);
  ZSTD_freeDCtx(zstd_);
}

Status LogSource::Init() {
  struct stat st {};
  if (::fstat(fd_.get(), &st) == 0 && S_ISREG(st.st_mode)) {
    size_ = static_cast<uint64_t>(st.st_size);
    modified_us_ = st.st_mtim.tv_sec * 1'000'000 + st.st_mtim.tv_nsec / 1000;
  } else {
    modified_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  }
  // Read until the magic bytes are in (a pipe may deliver fewer at first).
  input_.resize(kChunkBytes);
  size_t have = 0;
  while (have < 4 && !input_ended_) {
    ssize_t n = ::read(fd_.get(), input_.data() + have, input_.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrorCode::kInvalidArgument, name_ + ": " + std::strerror(errno));
    if (n == 0) input_ended_ = true;
    have += static_cast<size_t>(n);
  }
  input_.resize(have);
  bytes_read_ = have;
  if (input_.starts_with("\x1f\x8b")) {
    format_ = Format::kGzip;
    if (inflateInit2(&gzip_, 15 + 16) != Z_OK) return Fail(ErrorCode::kIoError, "inflateInit2");
    gzip_open_ = true;
  } else if (input_.starts_with("\x28\xb5\x2f\xfd")) {
    format_ = Format::kZstd;
    zstd_ = ZSTD_createDCtx();
    if (zstd_ == nullptr) return Fail(ErrorCode::kIoError, "ZSTD_createDCtx");
  }
  return Ok();
}

std::string_view LogSource::format() const {
  switch (format_) {
    case Format::kGzip:
      return "gzip";
    case Format::kZstd:
      return "zstd";
    case Format::kPlain:
      break;
  }
  return "plain";
}

Result<bool> LogSource::Refill() {
  while (true) {
    if (input_at_ == input_.size()) {
      if (input_ended_) {
        if (format_ != Format::kPlain && !stream_ended_) {
          return Fail(ErrorCode::kCorruption,
                      name_ + ": the compressed stream is cut short; the lines before were read");
        }
        return false;
      }
      input_.resize(kChunkBytes);
      ssize_t n = ::read(fd_.get(), input_.data(), input_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail(ErrorCode::kIoError, name_ + ": " + std::strerror(errno));
      input_.resize(static_cast<size_t>(n));
      input_at_ = 0;
      bytes_read_ += static_cast<uint64_t>(n);
      if (n == 0) input_ended_ = true;
      continue;
    }
    std::string_view in = std::string_view(input_).substr(input_at_);
    const size_t text_before = text_.size();
    if (format_ == Format::kPlain) {
      text_.append(in);
      input_at_ = input_.size();
    } else if (format_ == Format::kGzip) {
      if (stream_ended_) {  // another gzip member follows the one that ended
        inflateReset(&gzip_);
        stream_ended_ = false;
      }
      text_.resize(text_before + kChunkBytes);
      gzip_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      gzip_.avail_in = static_cast<uInt>(in.size());
      gzip_.next_out = reinterpret_cast<Bytef*>(text_.data() + text_before);
      gzip_.avail_out = static_cast<uInt>(kChunkBytes);
      int rc = inflate(&gzip_, Z_NO_FLUSH);
      text_.resize(text_before + kChunkBytes - gzip_.avail_out);
      input_at_ += in.size() - gzip_.avail_in;
      if (rc == Z_STREAM_END) {
        stream_ended_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return Damaged(name_, std::string("gzip: ") + (gzip_.msg != nullptr ? gzip_.msg : "error"));
      }
    } else {
      text_.resize(text_before + kChunkBytes);
      ZSTD_inBuffer zin{in.data(), in.size(), 0};
      ZSTD_outBuffer zout{text_.data() + text_before, kChunkBytes, 0};
      size_t rc = ZSTD_decompressStream(zstd_, &zout, &zin);
      text_.resize(text_before + zout.pos);
      input_at_ += zin.pos;
      if (ZSTD_isError(rc)) return Damaged(name_, std::string("zstd: ") + ZSTD_getErrorName(rc));
      stream_ended_ = rc == 0;
    }
    if (text_.size() > text_before) return true;
  }
}

Result<std::optional<std::string_view>> LogSource::NextLine() {
  while (true) {
    size_t end = text_.find('\n', line_at_);
    if (end == std::string::npos && text_.size() - line_at_ > kMaxLineBytes) {
      end = line_at_ + kMaxLineBytes;
    }
    if (end != std::string::npos) {
      std::string_view line = std::string_view(text_).substr(line_at_, end - line_at_);
      line_at_ = end < text_.size() && text_[end] == '\n' ? end + 1 : end;
      if (line.ends_with('\r')) line.remove_suffix(1);
      return line;
    }
    text_.erase(0, line_at_);
    line_at_ = 0;
    auto more = Refill();
    if (!more) return tl::unexpected(more.error());
    if (!*more) {
      if (text_.empty()) return std::nullopt;
      line_at_ = text_.size();
      return std::string_view(text_);
    }
  }
}

}  // namespace sluice::cli
