#include "parse/sendmail_reject.h"

#include <array>
#include <utility>

#include "parse/smtp_reply.h"

namespace sluice::parse {
namespace {

// A queue id ("x8ABC123456789", "2AB3cdE4012345"): letters and digits, with a digit in it.
bool IsQueueId(std::string_view token) {
  if (token.size() < 10) return false;
  bool digit = false;
  for (char c : token) {
    digit |= IsDigit(c);
    if (!IsDigit(c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z')) return false;
  }
  return digit;
}

// The value of "key" (e.g. "arg1=") in a ", "-separated list, up to the next ", ".
std::string_view ListValue(std::string_view list, std::string_view key) {
  for (size_t at = list.find(key); at != std::string_view::npos; at = list.find(key, at + 1)) {
    if (at == 0 || (at >= 2 && list.substr(at - 2, 2) == ", ")) {
      std::string_view value = list.substr(at + key.size());
      return value.substr(0, value.find(", "));
    }
  }
  return {};
}

std::string_view WithoutBrackets(std::string_view address) {
  if (address.starts_with('<') && address.ends_with('>')) {
    address = address.substr(1, address.size() - 2);
  }
  return address;
}

// "name [ip]", "[ip]", "name [ip] (may be forged)", "[IPv6:2001:db8::1]": false without [ip].
bool SetClient(std::string_view relay, format::EventRow& row) {
  size_t open = relay.find('[');
  size_t close = relay.find(']', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return false;
  std::string_view ip = relay.substr(open + 1, close - open - 1);
  ConsumePrefix(ip, "IPv6:");
  if (ip.empty()) return false;
  row.client_ip = ip;
  if (open > 1) row.client_name = relay.substr(0, open - 1);
  return true;
}

// The client of a line: its last "relay=" value.
void SetLastRelay(std::string_view text, format::EventRow& row) {
  size_t at = text.rfind("relay=");
  if (at == std::string_view::npos) return;
  std::string_view relay = text.substr(at + 6);
  SetClient(relay.substr(0, relay.find(", ")), row);
}

// "553 5.1.8 <a@b>... Domain of sender address a@b does not exist" → code, dsn, reason.
void SetReply(std::string_view reply, format::EventRow& row) {
  SmtpReply parts = SplitSmtpReply(reply);
  std::string_view reason = parts.text;
  if (reason.starts_with('<')) {
    size_t end = reason.find(">... ");
    if (end != std::string_view::npos) reason.remove_prefix(end + 5);
  }
  row.smtp_code = parts.code;
  row.dsn = parts.dsn;
  row.reason = reason;
  row.rbl = NamedRblZone(reason);
}

std::string_view RulesetStage(std::string_view ruleset) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kStages = {{
      {"check_relay", "connect"},
      {"check_mail", "mail"},
      {"check_rcpt", "rcpt"},
      {"check_compat", "rcpt"},
      {"check_data", "data"},
      {"check_eom", "data"},
  }};
  for (const auto& [name, stage] : kStages) {
    if (ruleset == name) return stage;
  }
  return "other";
}

// "ruleset=check_rcpt, arg1=<x@y>, relay=name [ip], reject=550 5.7.1 <x@y>... Relaying denied"
void ParseRuleset(std::string_view text, format::EventRow& row) {
  size_t reject_at = text.find(", reject=");
  if (reject_at == std::string_view::npos) return;  // discard, quarantine=…
  std::string_view fields = text.substr(0, reject_at);
  std::string_view stage = RulesetStage(ListValue(fields, "ruleset="));
  std::string_view arg1 = WithoutBrackets(ListValue(fields, "arg1="));
  row.is_reject = true;
  row.stage = stage;
  if (stage == "mail") row.sender = arg1;
  if (stage == "rcpt") row.recipient = arg1;
  SetLastRelay(fields, row);
  SetReply(text.substr(reject_at + 9), row);
}

// "Milter: data, reject=…", "Milter: from=<a>, reject=…", "Milter: to=<b>, reject=…",
// "Milter: helo=x, reject=…", "Milter: connect: host=name, addr=ip, reject=…".
void ParseMilter(std::string_view text, format::EventRow& row) {
  size_t reject_at = text.find(", reject=");
  if (reject_at == std::string_view::npos) return;
  std::string_view what = text.substr(0, reject_at);
  row.is_reject = true;
  if (ConsumePrefix(what, "from=")) {
    row.stage = "mail";
    row.sender = WithoutBrackets(what);
  } else if (ConsumePrefix(what, "to=")) {
    row.stage = "rcpt";
    row.recipient = WithoutBrackets(what);
  } else if (ConsumePrefix(what, "helo=")) {
    row.stage = "helo";
    row.helo = what;
  } else if (ConsumePrefix(what, "connect: ")) {
    row.stage = "connect";
    row.client_name = ListValue(what, "host=");
    row.client_ip = ListValue(what, "addr=");
  } else {
    row.stage = what == "data" ? "data" : "other";
  }
  SetReply(text.substr(reject_at + 9), row);
}

// "AUTH failure (LOGIN): authentication failure (-13) SASL(-13): …, user=u, relay=name [ip]"
void ParseAuthFailure(std::string_view text, format::EventRow& row) {
  size_t colon = text.find("): ");
  if (colon == std::string_view::npos) return;
  std::string_view reason = text.substr(colon + 3);
  size_t end = reason.find(", user=");
  if (end == std::string_view::npos) end = reason.rfind(", relay=");
  row.is_reject = true;
  row.stage = "auth";
  row.reason = reason.substr(0, end);
  SetLastRelay(text, row);
}

// "rejecting commands from name [ip] due to pre-greeting traffic after 0 seconds"
void ParsePreGreeting(std::string_view text, format::EventRow& row) {
  size_t due = text.find(" due to ");
  if (due == std::string_view::npos) return;
  row.is_reject = true;
  row.stage = "connect";
  SetClient(text.substr(0, due), row);
  row.reason = text.substr(due + 8);
}

// "name [ip]: VRFY root [rejected]"
void ParseRejectedCommand(std::string_view text, format::EventRow& row) {
  static constexpr std::string_view kRejected = " [rejected]";
  size_t colon = text.find("]: ");
  if (colon == std::string_view::npos || colon + 3 + kRejected.size() > text.size()) return;
  row.is_reject = true;
  row.stage = "other";
  SetClient(text.substr(0, colon + 1), row);
  row.reason = text.substr(colon + 3, text.size() - colon - 3 - kRejected.size());
}

// "<nobody@example.org>... User unknown"
void ParseRecipientReply(std::string_view text, format::EventRow& row) {
  size_t end = text.find(">... ");
  if (end == std::string_view::npos) return;
  std::string_view reason = text.substr(end + 5);
  if (!reason.starts_with("User unknown") && !reason.starts_with("Relaying denied")) return;
  row.is_reject = true;
  row.stage = "rcpt";
  row.recipient = text.substr(1, end - 1);
  row.reason = reason;
}

}  // namespace

bool ParseSendmailReject(std::string_view program, std::string_view message,
                         format::EventRow& row) {
  if (program != "sendmail" && !program.starts_with("sm-")) return false;
  row.mta = "sendmail";
  row.is_reject = false;
  std::string_view text = message;
  size_t colon = text.find(": ");
  if (colon != std::string_view::npos && IsQueueId(text.substr(0, colon))) {
    text.remove_prefix(colon + 2);
  }
  if (text.starts_with("ruleset=")) {
    ParseRuleset(text, row);
  } else if (ConsumePrefix(text, "Milter: ")) {
    ParseMilter(text, row);
  } else if (text.starts_with("AUTH failure")) {
    ParseAuthFailure(text, row);
  } else if (ConsumePrefix(text, "rejecting commands from ")) {
    ParsePreGreeting(text, row);
  } else if (text.ends_with(" [rejected]")) {
    ParseRejectedCommand(text, row);
  } else if (text.starts_with('<')) {
    ParseRecipientReply(text, row);
  }
  return true;
}

}  // namespace sluice::parse
