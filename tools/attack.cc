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

namespace {

using Clock = std::chrono::steady_clock;

// Templates: "{ip}" is the client address, "{n}" a per-line number, "{zone}" a DNSBL zone.
struct Template {
  std::string_view program;
  std::string_view text;
};

// Postfix: smtpd rejects at RCPT and EHLO, and postscreen's pre-greeting verdict.
constexpr std::array kPostfix = {
    Template{"postfix/smtpd",
             "NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 Service unavailable; Client host "
             "[{ip}] blocked using {zone}; from=<spam{n}@example.net> to=<user{n}@example.org> "
             "proto=ESMTP helo=<bot{n}.example.net>"},
    Template{"postfix/smtpd",
             "NOQUEUE: reject: RCPT from unknown[{ip}]: 450 4.7.1 Client host rejected: cannot "
             "find your reverse hostname, [{ip}]; from=<x{n}@example.com> to=<u{n}@example.org> "
             "proto=ESMTP helo=<h{n}>"},
    Template{"postfix/smtpd",
             "NOQUEUE: reject: RCPT from mail{n}.example.net[{ip}]: 554 5.7.1 <u{n}@example.org>: "
             "Relay access denied; from=<a@example.net> to=<u{n}@example.org> proto=SMTP "
             "helo=<[{ip}]>"},
    Template{"postfix/smtpd",
             "NOQUEUE: reject: RCPT from unknown[{ip}]: 550 5.1.1 <nobody{n}@example.org>: "
             "Recipient address rejected: User unknown in virtual mailbox table; "
             "from=<b{n}@example.net> to=<nobody{n}@example.org> proto=ESMTP helo=<{ip}>"},
    Template{"postfix/smtpd",
             "NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 Service unavailable; Client host "
             "[{ip}] blocked using {zone}; from=<s{n}@example.net> to=<t{n}@example.org> "
             "proto=ESMTP helo=<x{n}.example.net>"},
    Template{"postfix/smtpd",
             "NOQUEUE: reject: EHLO from unknown[{ip}]: 504 5.5.2 <{ip}>: Helo command rejected: "
             "need fully-qualified hostname; from=<q{n}@example.net> to=<r{n}@example.org> "
             "proto=ESMTP helo=<w{n}>"},
    Template{"postfix/postscreen",
             "PREGREET 23 after 0.07 from [{ip}]:41{n}: EHLO bot{n}.example.net\\r\\n"},
};

constexpr std::array kExim = {
    Template{"exim",
             "2026-11-28 10:00:00 H=(bot{n}.example.net) [{ip}]:4{n} F=<spam{n}@example.net> "
             "rejected RCPT <user{n}@example.org>: JunkMail rejected - {ip} is in a black list "
             "at {zone}"},
    Template{"exim",
             "2026-11-28 10:00:00 H=(mail{n}.example.net) [{ip}]:4{n} F=<a@example.net> rejected "
             "RCPT <u{n}@elsewhere.example>: relay not permitted"},
    Template{"exim",
             "2026-11-28 10:00:00 H=(x{n}.example.net) [{ip}]:4{n} F=<b{n}@example.net> rejected "
             "RCPT <nobody{n}@example.org>: Unrouteable address"},
    Template{"exim",
             "2026-11-28 10:00:00 rejected EHLO from [{ip}]:4{n}: syntactically invalid argument(s): "
             "_bot{n}_"},
    Template{"exim",
             "2026-11-28 10:00:00 SMTP protocol synchronization error (input sent without waiting "
             "for greeting): rejected connection from H=[{ip}]:4{n} input=\"EHLO bot{n}\""},
};

constexpr std::array kSendmail = {
    Template{"sendmail",
             "2ASA9AxG00{n}: ruleset=check_relay, arg1=[{ip}], arg2=127.0.0.2, relay=[{ip}], "
             "reject=550 5.7.1 Rejected: {ip} listed at {zone}"},
    Template{"sendmail",
             "2ASA9BxG00{n}: ruleset=check_rcpt, arg1=<u{n}@elsewhere.example>, relay=[{ip}], "
             "reject=550 5.7.1 <u{n}@elsewhere.example>... Relaying denied"},
    Template{"sendmail",
             "2ASA9CxG00{n}: <nobody{n}@example.org>... User unknown"},
    Template{"sendmail",
             "2ASA9DxG00{n}: rejecting commands from [{ip}] due to pre-greeting traffic after 0 seconds"},
};

// Ordinary mail: what an MTA logs around the rejects (not rejects; sluiced ignores them under
// ingest.keep = "rejects").
constexpr std::array kNormal = {
    Template{"postfix/smtpd", "connect from mail{n}.example.com[{ip}]"},
    Template{"postfix/cleanup", "5F2C{n}: message-id=<{n}@mail.example.com>"},
    Template{"postfix/qmgr", "5F2C{n}: from=<alice{n}@example.com>, size=4211, nrcpt=1 (queue "
                             "active)"},
    Template{"postfix/smtp",
             "5F2C{n}: to=<bob{n}@example.org>, relay=mx.example.org[192.0.2.25]:25, delay=0.4, "
             "delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)"},
    Template{"postfix/smtpd", "disconnect from mail{n}.example.com[{ip}] ehlo=1 mail=1 rcpt=1 "
                              "data=1 quit=1 commands=5"},
};

constexpr std::array<std::string_view, 4> kZones = {"zen.spamhaus.org", "b.barracudacentral.org",
                                                    "bl.spamcop.net", "dnsbl.sorbs.net"};

// Client address number `k`: the first 131,072 in 198.18.0.0/15, the rest in 2001:db8::/32,
// 2^20 to a /64.
void FormatAddress(std::array<char, 48>& out, uint32_t k) {
  if (k < (1u << 17)) {
    std::snprintf(out.data(), out.size(), "198.%u.%u.%u", 18 + (k >> 16), (k >> 8) & 255, k & 255);
  } else {
    k -= 1u << 17;
    std::snprintf(out.data(), out.size(), "2001:db8:0:%x::%x:%x", k >> 20, (k >> 16) & 15,
                  k & 0xFFFF);
  }
}

// Zipf over 0..n-1 (probability ∝ 1/(k+1)^s) by binary search in the cumulative distribution;
// shared by the sender threads (read-only), each with its own random source.
class ZipfTable {
 public:
  ZipfTable(uint32_t n, double s) : cdf_(n) {
    double sum = 0;
    for (uint32_t k = 0; k < n; ++k) cdf_[k] = sum += 1.0 / std::pow(k + 1.0, s);
    for (double& c : cdf_) c /= sum;
  }
  uint32_t Draw(std::mt19937_64& random) const {
    double u = std::uniform_real_distribution<double>(0, 1)(random);
    auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    return static_cast<uint32_t>(
        std::min<size_t>(static_cast<size_t>(it - cdf_.begin()), cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
};

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

// Appends `text` with its placeholders filled in.
void Expand(std::string& out, std::string_view text, std::string_view ip, std::string_view n,
            std::string_view zone) {
  while (!text.empty()) {
    size_t open = text.find('{');
    if (open == std::string_view::npos) break;
    out.append(text.substr(0, open));
    std::string_view rest = text.substr(open);
    if (rest.starts_with("{ip}")) {
      out.append(ip);
      text.remove_prefix(open + 4);
    } else if (rest.starts_with("{zone}")) {
      out.append(zone);
      text.remove_prefix(open + 6);
    } else {
      out.append(n);
      text.remove_prefix(open + 3);
    }
  }
  out.append(text);
}

// The header of a line as the chosen framing puts it: glibc syslog(3) sends RFC 3164 without a
// host name; RFC 5424 (logger --rfc5424, rsyslog) has the host and an ISO timestamp.
void AppendHeader(std::string& out, const Options& options, std::string_view program,
                  std::string_view pid, time_t now) {
  std::array<char, 40> stamp{};
  std::tm tm{};
  if (options.format == "rfc5424") {
    gmtime_r(&now, &tm);
    std::strftime(stamp.data(), stamp.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    out.append("<22>1 ").append(stamp.data()).append(" mx1 ").append(program).append(" ");
    out.append(pid).append(" - - ");
  } else {
    localtime_r(&now, &tm);
    std::strftime(stamp.data(), stamp.size(), "%b %e %T", &tm);
    out.append("<22>").append(stamp.data()).append(" ").append(program).append("[");
    out.append(pid).append("]: ");
  }
}

const Template& PickReject(const std::string& mta, uint64_t i) {
  std::string_view chosen = mta;
  if (mta == "mix") chosen = i % 3 == 0 ? "postfix" : i % 3 == 1 ? "exim" : "sendmail";
  if (chosen == "exim") return kExim[(i / 3) % kExim.size()];
  if (chosen == "sendmail") return kSendmail[(i / 3) % kSendmail.size()];
  return kPostfix[i % kPostfix.size()];
}

void Send(int id, const Options& options, const ZipfTable* zipf, Clock::time_point start,
          Clock::time_point stop_at, std::atomic<uint64_t>& next, SenderResult& result) {
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
  std::string line, number;
  std::array<char, 48> ip{};
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
    uint32_t host = options.cycle ? static_cast<uint32_t>(i % options.ips)
                    : zipf != nullptr ? zipf->Draw(random)
                                      : static_cast<uint32_t>(random() % options.ips);
    FormatAddress(ip, normal ? 100'000 + static_cast<uint32_t>(sent_normal % 30'000) : host);
    number = std::to_string(normal ? sent_normal : i);
    const Template& tmpl = normal ? kNormal[sent_normal % kNormal.size()] : PickReject(options.mta, i);
    line.clear();
    AppendHeader(line, options, tmpl.program, pid, std::time(nullptr));
    Expand(line, tmpl.text, ip.data(), number, kZones[(i / 7) % kZones.size()]);
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
  CLI::App app{"sluice-attack: send a botnet's rejects (and ordinary mail lines) to a Unix "
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

  std::unique_ptr<ZipfTable> zipf;
  if (!options.cycle && options.zipf > 0) {
    zipf = std::make_unique<ZipfTable>(options.ips, options.zipf);
  }
  std::vector<SenderResult> results(static_cast<size_t>(options.senders));
  std::atomic<uint64_t> next{0};
  auto start = Clock::now();
  auto stop_at = start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(options.seconds));
  std::vector<std::thread> threads;
  for (int id = 0; id < options.senders; ++id) {
    threads.emplace_back(Send, id, std::cref(options), zipf.get(), start, stop_at, std::ref(next),
                         std::ref(results[static_cast<size_t>(id)]));
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
