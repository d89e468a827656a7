// sluice-attack: a botnet's rejects as an MTA logs them, sent to a Unix datagram socket the way
// glibc syslog(3) and logger(1) do. Client addresses come from the benchmark range
// 198.18.0.0/15 (then 2001:db8::/32), Zipf-distributed or each in turn; reject reasons mix RBL
// hits on several zones, unknown clients, relay attempts, unknown users, bad HELOs and
// pre-greeting, in Postfix, Exim or Sendmail wording, framed as RFC 3164 or RFC 5424; a steady
// background of ordinary mail lines can run beside them. Several sender threads, a total rate
// or none, bounded by --count and --seconds; local sockets only. Every send is timed: the
// report (JSON, on stdout and in --report) has the send-latency percentiles and how long
// sends blocked in all.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "reject_lines.h"

namespace {

using Clock = std::chrono::steady_clock;

// Send durations in a log-linear histogram: 32 sub-buckets per power of two of nanoseconds,
// so a percentile is within ~3 % of the truth. Not thread-safe: one per sender, merged after.
class LatencyHistogram {
 public:
  static constexpr int kSub = 32;
  void Record(uint64_t ns) {
    ++counts_[Bucket(ns)];
    max_ = std::max(max_, ns);
    total_ += ns;
    ++n_;
  }
  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    max_ = std::max(max_, other.max_);
    total_ += other.total_;
    n_ += other.n_;
  }
  // The smallest duration at least `q` of the sends took no longer than (upper bucket edge).
  uint64_t Quantile(double q) const {
    if (n_ == 0) return 0;
    auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(n_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(UpperEdge(i), max_);
    }
    return max_;
  }
  uint64_t max() const { return max_; }
  uint64_t total() const { return total_; }

 private:
  static size_t Bucket(uint64_t ns) {
    if (ns < kSub) return ns;
    uint64_t exponent = std::bit_width(ns) - 6;  // ns >> exponent is in [32, 64)
    return (exponent + 1) * kSub + (ns >> exponent) - kSub;
  }
  static uint64_t UpperEdge(size_t bucket) {
    if (bucket < kSub) return bucket;
    size_t exponent = bucket / kSub - 1;
    return ((bucket % kSub + kSub + 1) << exponent) - 1;
  }
  std::array<uint64_t, 64 * kSub> counts_{};
  uint64_t max_ = 0, total_ = 0, n_ = 0;
};

struct Options {
  std::string socket_path;
  uint64_t count = 1'000'000;
  double seconds = 120;
  double rate = 0;         // rejects/s in all; 0 = as fast as the socket takes them
  double normal_rate = 0;  // ordinary lines/s in all, beside the rejects
  uint32_t ips = 10'000;
  double zipf = 1.0;
  bool cycle = false;
  std::string mta = "postfix";
  std::string format = "rfc3164";
  int senders = 1;
  bool nonblocking = false;
  std::string report;
};

struct SenderResult {
  uint64_t rejects = 0, normal = 0, dropped = 0, errors = 0, over_1ms = 0;
  LatencyHistogram latency;
};

void Send(int id, const Options& options, const sluice::attack::LineGenerator& generator,
          const sluice::attack::ZipfTable* zipf, Clock::time_point start, Clock::time_point stop_at,
          std::atomic<uint64_t>& next, SenderResult& result) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, options.socket_path.data(), options.socket_path.size());
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    std::cerr << "sluice-attack: connect " << options.socket_path << ": " << std::strerror(errno)
              << "\n";
    ++result.errors;
    if (fd >= 0) ::close(fd);
    return;
  }
  std::mt19937_64 random(20261128 + static_cast<uint64_t>(id));
  const double share = 1.0 / options.senders;
  const double reject_rate = options.rate * share, normal_rate = options.normal_rate * share;
  std::string pid = std::to_string(::getpid() * 10 + id);
  std::string line;
  uint64_t sent_rejects = 0, sent_normal = 0;
  while (true) {
    auto now = Clock::now();
    if (now >= stop_at) break;
    double elapsed = std::chrono::duration<double>(now - start).count();
    // Normal lines keep their own pace; rejects go as fast as allowed, or at their rate.
    bool normal = normal_rate > 0 && static_cast<double>(sent_normal) < elapsed * normal_rate;
    if (!normal && reject_rate > 0 && static_cast<double>(sent_rejects) >= elapsed * reject_rate) {
      double due = static_cast<double>(sent_rejects) / reject_rate;
      if (normal_rate > 0) due = std::min(due, static_cast<double>(sent_normal) / normal_rate);
      std::this_thread::sleep_until(
          start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(due)));
      continue;
    }
    uint64_t i = 0;
    if (!normal) {
      i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= options.count) break;
    }
    uint32_t host = options.cycle     ? static_cast<uint32_t>(i % options.ips)
                    : zipf != nullptr ? zipf->Draw(random)
                                      : static_cast<uint32_t>(random() % options.ips);
    std::string ip = sluice::attack::ClientAddress(
        normal ? 100'000 + static_cast<uint32_t>(sent_normal % 30'000) : host);
    line.clear();
    if (normal) {
      generator.AppendNormal(line, sent_normal, ip, pid, std::time(nullptr));
    } else {
      generator.AppendReject(line, i, ip, pid, std::time(nullptr));
    }
    size_t size = std::min<size_t>(line.size(), 2000);  // Postfix's own record cap
    auto before = Clock::now();
    ssize_t rc = ::send(fd, line.data(), size, options.nonblocking ? MSG_DONTWAIT : 0);
    auto took = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - before).count());
    result.latency.Record(took);
    if (took > 1'000'000) ++result.over_1ms;
    (normal ? sent_normal : sent_rejects) += 1;
    if (rc >= 0) {
      (normal ? result.normal : result.rejects) += 1;
    } else if (errno == EAGAIN) {
      ++result.dropped;
    } else {
      ++result.errors;
      if (errno == ECONNREFUSED) break;  // the receiver is gone
    }
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "sluice-attack: send a botnet's rejects (and ordinary mail lines) to a Unix "
      "datagram socket, like an MTA's syslog(3)"};
  Options options;
  app.add_option("socket", options.socket_path, "socket to send to")->required();
  app.add_option("-n,--count", options.count, "rejects to send (upper bound)");
  app.add_option("-s,--seconds,--duration", options.seconds, "stop after this many seconds");
  app.add_option("--rate", options.rate, "rejects per second in all (0: as fast as possible)")
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--normal-rate", options.normal_rate,
                 "ordinary mail lines per second beside the rejects (not rejects)")
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--ips", options.ips,
                 "distinct client addresses (198.18.0.0/15, then 2001:db8::/32)")
      ->check(CLI::Range(1u, 100'000'000u));
  app.add_option("--zipf", options.zipf, "Zipf exponent of attempts per address (0: uniform)")
      ->check(CLI::Range(0.0, 10.0));
  app.add_flag("--cycle", options.cycle, "each address in turn (every one distinct up to --ips)");
  app.add_option("--mta", options.mta, "wording of the rejects")
      ->check(CLI::IsMember({"postfix", "exim", "sendmail", "mix"}));
  app.add_option("--format", options.format, "syslog framing")
      ->check(CLI::IsMember({"rfc3164", "rfc5424"}));
  app.add_option("--senders", options.senders, "sender threads, each with its own socket")
      ->check(CLI::Range(1, 256));
  app.add_flag("--nonblocking", options.nonblocking,
               "MSG_DONTWAIT: count EAGAIN as dropped instead of blocking like syslog(3)");
  app.add_option("--report", options.report, "also write the JSON report to this file");
  CLI11_PARSE(app, argc, argv);
  if (options.socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
    std::cerr << "sluice-attack: socket path too long: " << options.socket_path << "\n";
    return 2;
  }

  sluice::attack::Mta mta{};
  sluice::attack::Framing framing{};
  (void)sluice::attack::ParseMta(options.mta, mta);  // CLI11 checked both names
  (void)sluice::attack::ParseFraming(options.format, framing);
  const sluice::attack::LineGenerator generator(mta, framing);
  std::unique_ptr<sluice::attack::ZipfTable> zipf;
  if (!options.cycle && options.zipf > 0) {
    zipf = std::make_unique<sluice::attack::ZipfTable>(options.ips, options.zipf);
  }
  std::vector<SenderResult> results(static_cast<size_t>(options.senders));
  std::atomic<uint64_t> next{0};
  auto start = Clock::now();
  auto stop_at = start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(options.seconds));
  std::vector<std::thread> threads;
  for (int id = 0; id < options.senders; ++id) {
    threads.emplace_back(Send, id, std::cref(options), std::cref(generator), zipf.get(), start,
                         stop_at, std::ref(next), std::ref(results[static_cast<size_t>(id)]));
  }
  for (std::thread& thread : threads) thread.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  SenderResult all;
  for (const SenderResult& r : results) {
    all.rejects += r.rejects, all.normal += r.normal, all.dropped += r.dropped;
    all.errors += r.errors, all.over_1ms += r.over_1ms;
    all.latency.Merge(r.latency);
  }
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  std::array<char, 1024> json{};
  std::snprintf(
      json.data(), json.size(),
      "{\"sent\": %llu, \"normal_sent\": %llu, \"dropped_eagain\": %llu, \"errors\": %llu, "
      "\"elapsed_s\": %.3f, \"rate_per_s\": %.0f, \"senders\": %d, \"mta\": \"%s\", "
      "\"format\": \"%s\", \"ips\": %u, \"send_latency_us\": {\"p50\": %.1f, \"p99\": %.1f, "
      "\"p99_9\": %.1f, \"max\": %.1f}, \"send_blocked_total_us\": %.0f, "
      "\"send_blocked_max_us\": %.0f, \"sends_over_1ms\": %llu}\n",
      static_cast<unsigned long long>(all.rejects), static_cast<unsigned long long>(all.normal),
      static_cast<unsigned long long>(all.dropped), static_cast<unsigned long long>(all.errors),
      elapsed, static_cast<double>(all.rejects + all.normal) / elapsed, options.senders,
      options.mta.c_str(), options.format.c_str(), options.ips, us(all.latency.Quantile(0.5)),
      us(all.latency.Quantile(0.99)), us(all.latency.Quantile(0.999)), us(all.latency.max()),
      us(all.latency.total()), us(all.latency.max()),
      static_cast<unsigned long long>(all.over_1ms));
  std::fputs(json.data(), stdout);
  if (!options.report.empty()) std::ofstream(options.report) << json.data();
  return all.errors == 0 ? 0 : 1;
}
