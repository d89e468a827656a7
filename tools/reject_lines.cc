#include "reject_lines.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>

namespace sluice::attack {
namespace {

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

static_assert(kPostfix.size() == kPostfixWordings);

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
    Template{
        "exim",
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
    Template{"sendmail", "2ASA9CxG00{n}: <nobody{n}@example.org>... User unknown"},
    Template{"sendmail",
             "2ASA9DxG00{n}: rejecting commands from [{ip}] due to pre-greeting traffic after 0 "
             "seconds"},
};

// Ordinary mail: what an MTA logs around the rejects (not rejects; sluiced ignores them under
// ingest.keep = "rejects").
constexpr std::array kNormal = {
    Template{"postfix/smtpd", "connect from mail{n}.example.com[{ip}]"},
    Template{"postfix/cleanup", "5F2C{n}: message-id=<{n}@mail.example.com>"},
    Template{"postfix/qmgr",
             "5F2C{n}: from=<alice{n}@example.com>, size=4211, nrcpt=1 (queue "
             "active)"},
    Template{"postfix/smtp",
             "5F2C{n}: to=<bob{n}@example.org>, relay=mx.example.org[192.0.2.25]:25, delay=0.4, "
             "delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)"},
    Template{"postfix/smtpd",
             "disconnect from mail{n}.example.com[{ip}] ehlo=1 mail=1 rcpt=1 "
             "data=1 quit=1 commands=5"},
};

constexpr std::array<std::string_view, 4> kZones = {"zen.spamhaus.org", "b.barracudacentral.org",
                                                    "bl.spamcop.net", "dnsbl.sorbs.net"};

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

const Template& PickReject(Mta mta, uint64_t i) {
  Mta chosen = mta;
  if (mta == Mta::kMix)
    chosen = i % 3 == 0 ? Mta::kPostfix : i % 3 == 1 ? Mta::kExim : Mta::kSendmail;
  if (chosen == Mta::kExim) return kExim[(i / 3) % kExim.size()];
  if (chosen == Mta::kSendmail) return kSendmail[(i / 3) % kSendmail.size()];
  return kPostfix[i % kPostfix.size()];
}

}  // namespace

bool ParseMta(std::string_view name, Mta& mta) {
  if (name == "postfix")
    mta = Mta::kPostfix;
  else if (name == "exim")
    mta = Mta::kExim;
  else if (name == "sendmail")
    mta = Mta::kSendmail;
  else if (name == "mix")
    mta = Mta::kMix;
  else
    return false;
  return true;
}

bool ParseFraming(std::string_view name, Framing& framing) {
  if (name == "rfc3164")
    framing = Framing::kRfc3164;
  else if (name == "rfc5424")
    framing = Framing::kRfc5424;
  else
    return false;
  return true;
}

std::string ClientAddress(uint32_t k) {
  std::array<char, 48> out{};
  if (k < (1u << 17)) {
    std::snprintf(out.data(), out.size(), "198.%u.%u.%u", 18 + (k >> 16), (k >> 8) & 255, k & 255);
  } else {
    k -= 1u << 17;
    std::snprintf(out.data(), out.size(), "2001:db8:0:%x::%x:%x", k >> 20, (k >> 16) & 15,
                  k & 0xFFFF);
  }
  return out.data();
}

ZipfTable::ZipfTable(uint32_t n, double s) : cdf_(n) {
  double sum = 0;
  for (uint32_t k = 0; k < n; ++k) cdf_[k] = sum += 1.0 / std::pow(k + 1.0, s);
  for (double& c : cdf_) c /= sum;
}

uint32_t ZipfTable::Draw(std::mt19937_64& random) const {
  double u = std::uniform_real_distribution<double>(0, 1)(random);
  auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
  return static_cast<uint32_t>(
      std::min<size_t>(static_cast<size_t>(it - cdf_.begin()), cdf_.size() - 1));
}

LineGenerator::LineGenerator(Mta mta, Framing framing) : mta_(mta), framing_(framing) {}

void LineGenerator::AppendHeader(std::string& out, std::string_view program, std::string_view pid,
                                 time_t now) const {
  std::array<char, 40> stamp{};
  std::tm tm{};
  if (framing_ == Framing::kRfc5424) {
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

void LineGenerator::AppendReject(std::string& out, uint64_t i, std::string_view client_ip,
                                 std::string_view pid, time_t now) const {
  AppendHeader(out, PickReject(mta_, i).program, pid, now);
  AppendRejectMessage(out, i, client_ip);
}

void LineGenerator::AppendRejectMessage(std::string& out, uint64_t i,
                                        std::string_view client_ip) const {
  Expand(out, PickReject(mta_, i).text, client_ip, std::to_string(i),
         kZones[(i / 7) % kZones.size()]);
}

void LineGenerator::AppendNormal(std::string& out, uint64_t i, std::string_view client_ip,
                                 std::string_view pid, time_t now) const {
  const Template& line = kNormal[i % kNormal.size()];
  AppendHeader(out, line.program, pid, now);
  Expand(out, line.text, client_ip, std::to_string(i), kZones[0]);
}

std::vector<std::string> RejectLines(size_t count, uint32_t distinct, double zipf, uint64_t seed,
                                     Mta mta) {
  constexpr time_t kStamp = 1'795'867'200;  // 2026-11-28 12:00:00 UTC
  LineGenerator generator(mta, Framing::kRfc3164);
  std::mt19937_64 random(seed);
  std::unique_ptr<ZipfTable> table;
  if (zipf > 0) table = std::make_unique<ZipfTable>(distinct, zipf);
  std::vector<std::string> lines(count);
  for (size_t i = 0; i < count; ++i) {
    uint32_t k = table ? table->Draw(random) : static_cast<uint32_t>(i % distinct);
    generator.AppendReject(lines[i], i, ClientAddress(k), "4242", kStamp);
  }
  return lines;
}

}  // namespace sluice::attack
