// sluice-flood: sends realistic Postfix reject lines to a Unix datagram socket, the way
// glibc syslog(3) or logger(1) does (RFC 3164, blocking send), and reports how many it sent
// and how long sends blocked. Bounded by --count and --seconds; local sockets only.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

using Clock = std::chrono::steady_clock;

// "{ip}" is the client address, "{n}" a per-line number.
constexpr std::array<std::string_view, 6> kTemplates = {
    "NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 Service unavailable; Client host [{ip}] "
    "blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{ip}; "
    "from=<spam{n}@example.net> to=<user{n}@example.org> proto=ESMTP helo=<bot{n}.example.net>",
    "NOQUEUE: reject: RCPT from unknown[{ip}]: 450 4.7.1 Client host rejected: cannot find your "
    "reverse hostname, [{ip}]; from=<x{n}@example.com> to=<u{n}@example.org> proto=ESMTP "
    "helo=<h{n}>",
    "NOQUEUE: reject: RCPT from mail{n}.example.net[{ip}]: 554 5.7.1 <u{n}@example.org>: Relay "
    "access denied; from=<a@example.net> to=<u{n}@example.org> proto=SMTP helo=<[{ip}]>",
    "NOQUEUE: reject: RCPT from unknown[{ip}]: 550 5.1.1 <nobody{n}@example.org>: Recipient "
    "address rejected: User unknown in virtual mailbox table; from=<b{n}@example.net> "
    "to=<nobody{n}@example.org> proto=ESMTP helo=<{ip}>",
    "NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 Service unavailable; Client host [{ip}] "
    "blocked using b.barracudacentral.org; from=<s{n}@example.net> to=<t{n}@example.org> "
    "proto=ESMTP helo=<x{n}.example.net>",
    "NOQUEUE: reject: EHLO from unknown[{ip}]: 504 5.5.2 <{ip}>: Helo command rejected: need "
    "fully-qualified hostname; from=<q{n}@example.net> to=<r{n}@example.org> proto=ESMTP "
    "helo=<w{n}>",
};

// Client address number `k`: the first 131,072 in the benchmark range 198.18.0.0/15, the rest
// in the documentation range 2001:db8::/32, 2^20 to a /64.
void FormatAddress(std::array<char, 48>& out, uint32_t k) {
  if (k < (1u << 17)) {
    std::snprintf(out.data(), out.size(), "198.%u.%u.%u", 18 + (k >> 16), (k >> 8) & 255, k & 255);
  } else {
    k -= 1u << 17;
    std::snprintf(out.data(), out.size(), "2001:db8:0:%x::%x:%x", k >> 20, (k >> 16) & 15,
                  k & 0xFFFF);
  }
}

// Draws address numbers 0..n-1 with probability proportional to 1/(k+1)^s (Zipf), by binary
// search in the cumulative distribution. Deterministic: the same seed gives the same draws.
class ZipfSampler {
 public:
  ZipfSampler(uint32_t n, double s) : cdf_(n), random_(20261128) {
    double sum = 0;
    for (uint32_t k = 0; k < n; ++k) cdf_[k] = sum += 1.0 / std::pow(k + 1.0, s);
    for (double& c : cdf_) c /= sum;
  }
  uint32_t Next() {
    double u = std::uniform_real_distribution<double>(0, 1)(random_);
    auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    return static_cast<uint32_t>(std::min<size_t>(static_cast<size_t>(it - cdf_.begin()),
                                                  cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
  std::mt19937_64 random_;
};

// Appends `tmpl` to `out` with its placeholders filled in.
void Expand(std::string& out, std::string_view tmpl, std::string_view ip, std::string_view n) {
  while (!tmpl.empty()) {
    size_t open = tmpl.find('{');
    if (open == std::string_view::npos) break;
    out.append(tmpl.substr(0, open));
    if (tmpl.substr(open).starts_with("{ip}")) {
      out.append(ip);
      tmpl.remove_prefix(open + 4);
    } else {
      out.append(n);
      tmpl.remove_prefix(open + 3);
    }
  }
  out.append(tmpl);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sluice-flood: send Postfix reject lines to a Unix datagram socket"};
  std::string socket_path;
  uint64_t count = 1'000'000;
  double seconds = 120;
  uint32_t ips = 10'000;
  double zipf = 0;
  bool cycle = false;
  bool nonblocking = false;
  app.add_option("socket", socket_path, "socket to send to")->required();
  app.add_option("-n,--count", count, "datagrams to send (upper bound)");
  app.add_option("-s,--seconds", seconds, "stop after this many seconds (upper bound)");
  app.add_option("--ips", ips,
                 "distinct client addresses (198.18.0.0/15, then 2001:db8::/32)")
      ->check(CLI::Range(1u, 100'000'000u));
  app.add_option("--zipf", zipf, "draw addresses Zipf-distributed with this exponent (e.g. 1.0)")
      ->check(CLI::Range(0.01, 10.0));
  app.add_flag("--cycle", cycle, "each address in turn (every one distinct up to --ips)");
  app.add_flag("--nonblocking", nonblocking, "use MSG_DONTWAIT and count EAGAIN as dropped");
  CLI11_PARSE(app, argc, argv);

  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd < 0 || socket_path.size() >= sizeof addr.sun_path) {
    std::cerr << "sluice-flood: bad socket " << socket_path << "\n";
    return 2;
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    std::cerr << "sluice-flood: connect " << socket_path << ": " << std::strerror(errno) << "\n";
    return 1;
  }

  uint64_t sent = 0, dropped = 0, errors = 0;
  Clock::duration blocked_max{}, blocked_total{};
  auto start = Clock::now();
  auto stop_at =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::optional<ZipfSampler> sampler;
  if (zipf > 0) sampler.emplace(ips, zipf);
  std::string line;
  std::array<char, 48> ip{};
  std::array<char, 32> stamp{};
  time_t stamp_second = 0;
  std::string pid = std::to_string(::getpid());
  for (uint64_t i = 0; i < count; ++i) {
    if ((i & 1023) == 0 && Clock::now() >= stop_at) break;
    time_t now = std::time(nullptr);
    if (now != stamp_second) {
      std::tm tm{};
      localtime_r(&now, &tm);
      std::strftime(stamp.data(), stamp.size(), "%b %e %T", &tm);
      stamp_second = now;
    }
    uint32_t host;
    if (sampler) {
      host = sampler->Next();
    } else if (cycle) {
      host = static_cast<uint32_t>(i % ips);
    } else {  // a Zipf-like skew without a table: low addresses repeat far more often
      uint32_t k = static_cast<uint32_t>((i * 2654435761u) % ips);
      host = static_cast<uint32_t>(uint64_t{k} * k / ips % ips);
    }
    FormatAddress(ip, host);
    line.clear();
    line.append("<22>").append(stamp.data()).append(" postfix/smtpd[").append(pid).append("]: ");
    Expand(line, kTemplates[i % kTemplates.size()], ip.data(), std::to_string(i));
    size_t size = std::min<size_t>(line.size(), 2000);  // Postfix's own record cap
    auto before = Clock::now();
    ssize_t rc = ::send(fd, line.data(), size, nonblocking ? MSG_DONTWAIT : 0);
    auto took = Clock::now() - before;
    blocked_total += took;
    blocked_max = std::max(blocked_max, took);
    if (rc >= 0) {
      ++sent;
    } else if (errno == EAGAIN) {
      ++dropped;
    } else {
      ++errors;
      if (errno == ECONNREFUSED) break;  // the receiver is gone
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  auto us = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  };
  std::printf(
      "{\"sent\": %llu, \"dropped_eagain\": %llu, \"errors\": %llu, \"elapsed_s\": %.3f, "
      "\"rate_per_s\": %.0f, \"send_blocked_total_us\": %lld, \"send_blocked_max_us\": %lld}\n",
      static_cast<unsigned long long>(sent), static_cast<unsigned long long>(dropped),
      static_cast<unsigned long long>(errors), elapsed, static_cast<double>(sent) / elapsed,
      static_cast<long long>(us(blocked_total)), static_cast<long long>(us(blocked_max)));
  ::close(fd);
  return errors == 0 ? 0 : 1;
}
