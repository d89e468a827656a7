#include "parse/postfix_reject.h"

#include <array>
#include <utility>

namespace sluice::parse {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Removes `prefix` from the front of `text`; false (text unchanged) if it is not there.
bool Consume(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

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

}  // namespace

bool ParsePostfixReject(std::string_view program, std::string_view message, EventRow& row) {
  if (!program.starts_with("postfix")) return false;
  row.mta = "postfix";
  row.is_reject = false;
  const bool postscreen = program.ends_with("/postscreen");

  // "[NOQUEUE: | <queue id>: ]reject: RCPT from name[ip]: <reply>; from=<s> to=<r> ..."
  std::string_view text = message;
  size_t colon = text.find(": ");
  if (colon != std::string_view::npos && colon > 0 &&
      text.substr(0, colon).find(' ') == std::string_view::npos && !text.starts_with("reject") &&
      !text.starts_with("milter-reject")) {
    text.remove_prefix(colon + 2);  // the queue id or NOQUEUE
  }
  if (!Consume(text, "reject: ") && !Consume(text, "milter-reject: ")) return true;
  size_t space = text.find(' ');
  if (space == std::string_view::npos) return true;
  std::string_view command = text.substr(0, space);
  text.remove_prefix(space + 1);
  if (!Consume(text, "from ")) return true;
  size_t client_end = text.find(": ");
  if (client_end == std::string_view::npos) return true;
  std::string_view name, ip;
  if (!SplitClient(text.substr(0, client_end), name, ip)) return true;
  text.remove_prefix(client_end + 2);

  row.is_reject = true;
  row.stage = postscreen ? "postscreen" : StageOf(command);
  row.client_ip = ip;
  if (name != "unknown") row.client_name = name;

  // The envelope: smtpd separates it by "; from=<" (or "; proto=" when there is no sender
  // yet, as at CONNECT); what comes before it is the reply.
  std::string_view reply = text;
  size_t envelope_at = text.rfind("; from=<");
  if (envelope_at == std::string_view::npos) envelope_at = text.rfind("; proto=");
  if (envelope_at != std::string_view::npos) {
    std::string_view envelope = text.substr(envelope_at + 2);
    reply = text.substr(0, envelope_at);
    row.sender = EnvelopeValue(envelope, "from=<");  // the null sender <> is stored as NULL
    row.recipient = EnvelopeValue(envelope, "to=<");
    row.helo = EnvelopeValue(envelope, "helo=<");
  }

  // "554 5.7.1 <object>: text"; a milter reply may carry no 3-digit code.
  if (reply.size() >= 4 && IsDigit(reply[0]) && IsDigit(reply[1]) && IsDigit(reply[2]) &&
      reply[3] == ' ') {
    row.smtp_code =
        static_cast<int16_t>((reply[0] - '0') * 100 + (reply[1] - '0') * 10 + (reply[2] - '0'));
    reply.remove_prefix(4);
  }
  if (reply.size() >= 5 && IsDigit(reply[0]) && reply[1] == '.') {
    size_t end = reply.find(' ');
    std::string_view dsn = reply.substr(0, end);
    if (dsn.find_first_not_of("0123456789.") == std::string_view::npos) {
      row.dsn = dsn;
      reply.remove_prefix(end == std::string_view::npos ? reply.size() : end + 1);
    }
  }
  if (reply.starts_with('<')) {  // "<object>: " names what the restriction looked at
    size_t end = reply.find(">: ");
    if (end != std::string_view::npos) reply.remove_prefix(end + 3);
  }
  row.reason = reply;

  size_t using_at = reply.find("blocked using ");
  if (using_at != std::string_view::npos) {
    std::string_view zone = reply.substr(using_at + 14);
    zone = zone.substr(0, zone.find_first_of("; ,"));
    if (!zone.empty()) row.rbl = zone;
  }
  return true;
}

}  // namespace sluice::parse
