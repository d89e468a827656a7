#include "parse/postfix_reject.h"

#include <array>
#include <utility>

#include "parse/smtp_reply.h"

namespace sluice::parse {
namespace {

// The SMTP command named after "reject: " → the stage stored (MTA-NOTES, field convention 1).
std::string_view StageOf(std::string_view command) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kStages = {{
      {"CONNECT", "connect"},
      {"EHLO", "helo"},
      {"HELO", "helo"},
      {"MAIL", "mail"},
      {"RCPT", "rcpt"},
      {"DATA", "data"},
      {"END-OF-MESSAGE", "data"},
      {"BDAT", "data"},
      {"VRFY", "other"},
      {"ETRN", "other"},
  }};
  for (const auto& [name, stage] : kStages) {
    if (command == name) return stage;
  }
  return "other";
}

// Postscreen's verdicts on a client that failed a test (postscreen(8)); each is followed by
// the client as "[ip]:port". Passing verdicts (PASS NEW, PASS OLD, WHITELISTED, ...) and
// CONNECT/DISCONNECT are not rejects.
constexpr std::array<std::string_view, 11> kPostscreenFailures = {
    "PREGREET ",           "DNSBL rank ",          "HANGUP ",
    "COMMAND PIPELINING ", "NON-SMTP COMMAND ",    "BARE NEWLINE ",
    "COMMAND TIME LIMIT ", "COMMAND COUNT LIMIT ", "COMMAND LENGTH LIMIT ",
    "DENYLISTED ",         "BLACKLISTED ",
};

// The value of `key<...>` (e.g. "from=<") in the envelope part, without the brackets.
std::string_view EnvelopeValue(std::string_view envelope, std::string_view key) {
  size_t at = envelope.find(key);
  if (at == std::string_view::npos) return {};
  std::string_view rest = envelope.substr(at + key.size());
  size_t end = rest.find('>');
  return end == std::string_view::npos ? std::string_view{} : rest.substr(0, end);
}

// Splits "name[ip]" (smtpd) or "[ip]:port" (postscreen) into its parts; false when it is
// neither.
bool SplitClient(std::string_view client, std::string_view& name, std::string_view& ip) {
  size_t close = client.rfind(']');
  if (close != std::string_view::npos && close + 1 < client.size() && client[close + 1] == ':' &&
      client.find_first_not_of("0123456789", close + 2) == std::string_view::npos) {
    client = client.substr(0, close + 1);  // the port
  }
  size_t open = client.rfind('[');
  if (open == std::string_view::npos || !client.ends_with(']')) return false;
  name = client.substr(0, open);
  ip = client.substr(open + 1, client.size() - open - 2);
  return !ip.empty();
}

void SetClient(std::string_view name, std::string_view ip, format::EventRow& row) {
  row.client_ip = ip;
  if (name != "unknown") row.client_name = name;
}

// "PREGREET 14 after 0.08 from [ip]:port: EHLO x\r\n", "DNSBL rank 6 for [ip]:port",
// "HANGUP after 0.5 from [ip]:port in tests after SMTP handshake", "DENYLISTED [ip]:port".
// The reason is the verdict up to the client (MTA-NOTES convention 2).
bool ParsePostscreenVerdict(std::string_view message, format::EventRow& row) {
  bool failed = false;
  for (std::string_view verdict : kPostscreenFailures) failed |= message.starts_with(verdict);
  if (!failed) return false;
  size_t open = message.find('[');
  if (open == std::string_view::npos) return false;
  size_t close = message.find(']', open);
  if (close == std::string_view::npos) return false;
  std::string_view name, ip;
  if (!SplitClient(message.substr(open, close + 1 - open), name, ip)) return false;
  std::string_view verdict = message.substr(0, open);
  for (std::string_view joint : {" from ", " for ", " "}) {
    if (verdict.ends_with(joint)) {
      verdict.remove_suffix(joint.size());
      break;
    }
  }
  row.is_reject = true;
  row.stage = "postscreen";
  row.client_ip = ip;
  row.reason = verdict;
  return true;
}

// "warning: name[ip]: SASL LOGIN authentication failed: <why>[, sasl_username=user]".
void ParseSaslFailure(std::string_view warning, format::EventRow& row) {
  size_t client_end = warning.find(": SASL ");
  if (client_end == std::string_view::npos) return;
  std::string_view reason = warning.substr(client_end + 2);
  if (reason.find(" authentication failed") == std::string_view::npos) return;
  std::string_view name, ip;
  if (!SplitClient(warning.substr(0, client_end), name, ip)) return;
  reason = reason.substr(0, reason.find(", sasl_username="));
  row.is_reject = true;
  row.stage = "auth";
  SetClient(name, ip, row);
  row.reason = reason;
}

// "[NOQUEUE: | <queue id>: ]reject: RCPT from name[ip]: <reply>; from=<s> to=<r> ...", and
// "milter-reject:" in its place.
void ParseSmtpdReject(std::string_view text, bool postscreen, format::EventRow& row) {
  size_t colon = text.find(": ");
  if (colon != std::string_view::npos && colon > 0 &&
      text.substr(0, colon).find(' ') == std::string_view::npos && !text.starts_with("reject") &&
      !text.starts_with("milter-reject")) {
    text.remove_prefix(colon + 2);  // the queue id or NOQUEUE
  }
  if (!ConsumePrefix(text, "reject: ") && !ConsumePrefix(text, "milter-reject: ")) return;
  size_t space = text.find(' ');
  if (space == std::string_view::npos) return;
  std::string_view command = text.substr(0, space);
  text.remove_prefix(space + 1);
  if (!ConsumePrefix(text, "from ")) return;
  size_t client_end = text.find(": ");
  if (client_end == std::string_view::npos) return;
  std::string_view name, ip;
  if (!SplitClient(text.substr(0, client_end), name, ip)) return;
  text.remove_prefix(client_end + 2);

  row.is_reject = true;
  row.stage = postscreen ? "postscreen" : StageOf(command);
  SetClient(name, ip, row);

  // The envelope: smtpd separates it by "; from=<" (or "; to=<" or "; proto=" when there is
  // no sender, as at VRFY or CONNECT); what comes before it is the reply. Postscreen separates its
  // fields by
  // ", " where smtpd uses spaces; EnvelopeValue reads both.
  std::string_view reply = text;
  size_t envelope_at = text.rfind("; from=<");
  if (envelope_at == std::string_view::npos) envelope_at = text.rfind("; to=<");  // VRFY
  if (envelope_at == std::string_view::npos) envelope_at = text.rfind("; proto=");
  if (envelope_at != std::string_view::npos) {
    std::string_view envelope = text.substr(envelope_at + 2);
    reply = text.substr(0, envelope_at);
    row.sender = EnvelopeValue(envelope, "from=<");  // the null sender <> is stored as NULL
    row.recipient = EnvelopeValue(envelope, "to=<");
    row.helo = EnvelopeValue(envelope, "helo=<");
  }

  SmtpReply parts = SplitSmtpReply(reply);
  row.smtp_code = parts.code;
  row.dsn = parts.dsn;
  std::string_view reason = parts.text;
  if (reason.starts_with('<')) {  // "<object>: " names what the restriction looked at
    size_t end = reason.find(">: ");
    if (end != std::string_view::npos) reason.remove_prefix(end + 3);
  }
  row.reason = reason;
  row.rbl = NamedRblZone(reason);
}

}  // namespace

bool ParsePostfixReject(std::string_view program, std::string_view message, format::EventRow& row) {
  if (!program.starts_with("postfix")) return false;
  row.mta = "postfix";
  row.is_reject = false;
  const bool postscreen = program.ends_with("/postscreen");
  if (postscreen && ParsePostscreenVerdict(message, row)) return true;
  if (ConsumePrefix(message, "warning: ")) {
    ParseSaslFailure(message, row);
    return true;
  }
  ParseSmtpdReject(message, postscreen, row);
  return true;
}

}  // namespace sluice::parse
