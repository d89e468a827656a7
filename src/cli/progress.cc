#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace sluice::cli {

Progress::Progress(uint64_t total, std::string unit, uint64_t unit_size)
    : total_(total),
      unit_(std::move(unit)),
      unit_size_(unit_size),
      tty_(::isatty(STDERR_FILENO) == 1) {}

void Progress::Update(uint64_t done, uint64_t bytes, bool final) {
  if (!tty_) return;
  auto now = Clock::now();
  if (!final && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double fraction = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  if (fraction > 1.0) fraction = 1.0;
  constexpr int kWidth = 30;
  std::string bar(static_cast<size_t>(fraction * kWidth), '#');
  bar.resize(kWidth, '.');
  double mb_per_s = elapsed > 0 ? static_cast<double>(bytes) / 1e6 / elapsed : 0.0;
  double eta = fraction > 0 && elapsed > 0 ? elapsed * (1 - fraction) / fraction : 0.0;
  std::fprintf(stderr, "\r%3.0f%% [%s] %llu/%llu %s  %.1f MB/s  ETA %.0fs   ", fraction * 100,
               bar.c_str(), static_cast<unsigned long long>(done / unit_size_),
               static_cast<unsigned long long>(total_ / unit_size_), unit_.c_str(), mb_per_s, eta);
  if (final) std::fputc('\n', stderr);
}

double Progress::seconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

}  // namespace sluice::cli
