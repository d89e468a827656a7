#pragma once

#include <time.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

// Realistic reject lines as MTAs log them, one generator for sluice-attack and every benchmark:
// Postfix (smtpd, postscreen), Exim and Sendmail wordings of RBL hits on several zones,
// unknown clients, relay attempts, unknown users, bad HELOs and pre-greeting, plus ordinary
// mail lines; client addresses from the benchmark range 198.18.0.0/15, then 2001:db8::/32.
// Everything here is stateless or owned by one thread, as its comment says.
namespace sluice::attack {

// Whose wording: one MTA's, or the three in turn.
enum class Mta { kPostfix, kExim, kSendmail, kMix };
// The syslog header: RFC 3164 as glibc syslog(3) sends it (no host name), or RFC 5424 as
// logger --rfc5424 and rsyslog do (with the host and an ISO timestamp).
enum class Framing { kRfc3164, kRfc5424 };

// "postfix", "exim", "sendmail", "mix" / "rfc3164", "rfc5424"; false for anything else.
bool ParseMta(std::string_view name, Mta& mta);
bool ParseFraming(std::string_view name, Framing& framing);

// Client address number `k` as text: the first 131,072 in 198.18.0.0/15, the rest in
// 2001:db8::/32, 2^20 to a /64. Thread-safe.
std::string ClientAddress(uint32_t k);

// Zipf over 0..n-1 (probability proportional to 1/(k+1)^s), drawn by binary search in the
// cumulative distribution. Const methods are thread-safe (each caller brings its random source).
class ZipfTable {
 public:
  ZipfTable(uint32_t n, double s);
  uint32_t Draw(std::mt19937_64& random) const;

 private:
  std::vector<double> cdf_;
};

// With Mta::kPostfix, reject `i` takes wording i % kPostfixWordings; wording 0 is an RBL hit.
inline constexpr uint64_t kPostfixWordings = 7;

// Writes whole syslog datagrams. Stateless after construction; thread-safe.
class LineGenerator {
 public:
  LineGenerator(Mta mta, Framing framing);

  // Appends reject number `i` (which picks the wording and the DNSBL zone, and numbers the
  // senders and recipients in it) from `client_ip`, with its syslog header stamped `now`.
  void AppendReject(std::string& out, uint64_t i, std::string_view client_ip, std::string_view pid,
                    time_t now) const;
  // Appends ordinary mail line number `i` (a connect, a delivery, ...): not a reject.
  void AppendNormal(std::string& out, uint64_t i, std::string_view client_ip, std::string_view pid,
                    time_t now) const;
  // Appends the message of reject `i` alone, without a syslog header.
  void AppendRejectMessage(std::string& out, uint64_t i, std::string_view client_ip) const;

 private:
  void AppendHeader(std::string& out, std::string_view program, std::string_view pid,
                    time_t now) const;

  Mta mta_;
  Framing framing_;
};

// `count` reject datagrams (Postfix wording, RFC 3164, stamped 2026-11-28) from `distinct`
// client addresses drawn Zipf-distributed with exponent `zipf` (0: each address in turn),
// reproducibly from `seed`: the input of the micro-benchmarks.
std::vector<std::string> RejectLines(size_t count, uint32_t distinct, double zipf,
                                     uint64_t seed = 42, Mta mta = Mta::kPostfix);

}  // namespace sluice::attack
