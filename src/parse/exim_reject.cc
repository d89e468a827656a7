#include "parse/exim_reject.h"

#include <algorithm>
#include <array>
#include <utility>

#include "parse/smtp_reply.h"

namespace sluice::parse {
namespace {

bool AllOf(std::string_view text, bool (*accept)(char)) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!accept(c)) return false;
  }
  return true;
}

bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// "1Glsgv-0003Kp-Ln" (before Exim 4.97) or "1tABCD-00000001Ab-0Abc" (since).
bool IsMessageId(std::string_view token) {
  size_t first = token.find('-');
  size_t second = token.find('-', first + 1);
  if (first != 6 || second == std::string_view::npos) return false;
  std::string_view middle = token.substr(first + 1, second - first - 1);
  std::string_view last = token.substr(second + 1);
  return AllOf(token.substr(0, first), IsAlnum) && AllOf(middle, IsAlnum) && AllOf(last, IsAlnum) &&
         ((middle.size() == 6 && last.size() == 2) || (middle.size() == 11 && last.size() == 4));
}

// "2006-11-21 15:01:33", with the optional ".mmm" of +millisec and " +0100" of +tz.
bool ConsumeTimestamp(std::string_view& text) {
  static constexpr std::string_view kShape = "dddd-dd-dd dd:dd:dd";
  if (text.size() < kShape.size()) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == 'd' ? !IsDigit(text[i]) : text[i] != kShape[i]) return false;
  }
  size_t end = kShape.size();
  if (end < text.size() && text[end] == '.') {
    ++end;
    while (end < text.size() && IsDigit(text[end])) ++end;
  }
  if (end + 6 <= text.size() && text[end] == ' ' &&
      (text[end + 1] == '+' || text[end + 1] == '-') && AllOf(text.substr(end + 2, 4), IsDigit)) {
    end += 6;
  }
  text.remove_prefix(end);
  ConsumePrefix(text, " ");
  return true;
}

// Skips what Exim writes before its log text. False for a continuation piece of a split line.
bool SkipEximPrefixes(std::string_view& text) {
  if (text.starts_with('[')) {  // "[1/3] " or "[1\3] "
    size_t close = text.find("] ");
    std::string_view marker = text.substr(1, close == std::string_view::npos ? 0 : close - 1);
    size_t slash = marker.find_first_of("/\\");
    if (slash != std::string_view::npos && AllOf(marker.substr(0, slash), IsDigit) &&
        AllOf(marker.substr(slash + 1), IsDigit)) {
      if (marker.substr(0, slash) != "1") return false;
      text.remove_prefix(close + 2);
    }
  }
  ConsumeTimestamp(text);
  if (text.starts_with('[')) {  // +pid
    size_t close = text.find("] ");
    if (close != std::string_view::npos && AllOf(text.substr(1, close - 1), IsDigit)) {
      text.remove_prefix(close + 2);
    }
  }
  size_t space = text.find(' ');
  if (space != std::string_view::npos && IsMessageId(text.substr(0, space))) {
    text.remove_prefix(space + 1);
  }
  return true;
}

// Deliveries, deferrals and bounces of mail Exim sends, not rejects of its own.
bool IsDeliveryLine(std::string_view text) {
  static constexpr std::array<std::string_view, 7> kMarkers = {"<= ", "=> ", "-> ",      "*> ",
                                                               "** ", "== ", "Completed"};
  for (std::string_view marker : kMarkers) {
    if (text.starts_with(marker)) return true;
  }
  return text.find("SMTP error from remote mail server") != std::string_view::npos;
}

// The client as Exim logs it, with what the client said in HELO.
struct Client {
  std::string_view name, helo, ip;
};

// Reads "name (helo) [ip]:port" (name, helo and port optional) from the front of `text`.
bool ConsumeHost(std::string_view& text, Client& client) {
  std::string_view rest = text;
  std::string_view name, helo;
  if (!rest.starts_with('(') && !rest.starts_with('[')) {
    size_t end = rest.find(' ');
    if (end == std::string_view::npos) return false;
    name = rest.substr(0, end);
    rest.remove_prefix(end + 1);
  }
  if (rest.starts_with('(')) {
    size_t end = rest.find(") [");
    if (end == std::string_view::npos) return false;
    helo = rest.substr(1, end - 1);
    rest.remove_prefix(end + 2);
  }
  if (!rest.starts_with('[')) return false;
  size_t close = rest.find(']');
  if (close == std::string_view::npos || close < 2) return false;
  client = {name, helo, rest.substr(1, close - 1)};
  rest.remove_prefix(close + 1);
  if (rest.starts_with(':')) {
    size_t end = 1;
    while (end < rest.size() && IsDigit(rest[end])) ++end;
    if (end > 1) rest.remove_prefix(end);
  }
  text = rest;
  return true;
}

// Reads the "X=value" fields Exim writes around a verdict (H=host, F=<sender>, I=, P=, S=,
// U=, ...), each followed by a space; stops at anything else.
void ConsumeFields(std::string_view& text, Client& client, std::string_view& sender) {
  while (text.size() >= 2 && text[0] >= 'A' && text[0] <= 'Z' && text[1] == '=') {
    const char key = text[0];
    text.remove_prefix(2);
    if (key == 'H') {
      if (!ConsumeHost(text, client)) return;
    } else if (key == 'F' && text.starts_with('<')) {
      size_t end = text.find('>');
      if (end == std::string_view::npos) return;
      sender = text.substr(1, end - 1);
      text.remove_prefix(end + 1);
    } else {  // up to the next space, or to the ": " before a reason
      size_t end = std::min(text.find(' '), text.size());
      if (end > 0 && end < text.size() && text[end - 1] == ':') --end;
      text.remove_prefix(end);
    }
    if (!ConsumePrefix(text, " ")) return;
  }
}

// "<x@y>" at the front of `text`, without the brackets; empty when absent.
std::string_view ConsumeAddress(std::string_view& text) {
  if (!text.starts_with('<')) return {};
  size_t end = text.find('>');
  if (end == std::string_view::npos) return {};
  std::string_view address = text.substr(1, end - 1);
  text.remove_prefix(end + 1);
  ConsumePrefix(text, " ");
  return address;
}

void SetReject(std::string_view stage, const Client& client, format::EventRow& row) {
  row.is_reject = true;
  row.stage = stage;
  row.client_ip = client.ip;
  row.client_name = client.name;
  row.helo = client.helo;
}

// "dovecot_login authenticator failed for (helo) [ip]:port I=[ip]:587: 535 Incorrect
// authentication data (set_id=user)".
bool ParseAuthenticatorFailure(std::string_view text, format::EventRow& row) {
  static constexpr std::string_view kFailed = " authenticator failed for ";
  size_t at = text.find(kFailed);
  if (at == std::string_view::npos) return false;
  std::string_view rest = text.substr(at + kFailed.size());
  ConsumePrefix(rest, "H=");
  Client client;
  if (!ConsumeHost(rest, client)) return false;
  std::string_view ignored;
  if (ConsumePrefix(rest, " ")) ConsumeFields(rest, client, ignored);
  if (!ConsumePrefix(rest, ": ") && !ConsumePrefix(rest, ":")) return false;
  SmtpReply reply = SplitSmtpReply(rest);
  std::string_view reason = reply.text;
  size_t set_id = reason.rfind(" (set_id=");
  if (set_id != std::string_view::npos) reason = reason.substr(0, set_id);
  SetReject("auth", client, row);
  row.smtp_code = reply.code;
  row.dsn = reply.dsn;
  row.reason = reason;
  return true;
}

// "SMTP protocol synchronization error (input sent without waiting for greeting): rejected
// connection from H=[ip]:port input=…": the reason is the text before ": rejected".
bool ParseSynchronizationError(std::string_view text, format::EventRow& row) {
  if (!text.starts_with("SMTP protocol synchronization error")) return false;
  size_t rejected = text.find(": rejected ");
  if (rejected == std::string_view::npos) return false;
  Client client;
  size_t host = text.find("H=", rejected);
  if (host != std::string_view::npos) {
    std::string_view rest = text.substr(host + 2);
    ConsumeHost(rest, client);
  }
  std::string_view reason = text.substr(0, rejected);
  bool at_greeting = reason.find("without waiting for greeting") != std::string_view::npos;
  SetReject(at_greeting ? "connect" : "other", client, row);
  row.reason = reason;
  return true;
}

// The word after "rejected " → the stage stored (MTA-NOTES, field convention 1).
std::string_view StageOf(std::string_view verdict) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kStages = {{
      {"RCPT", "rcpt"},
      {"MAIL", "mail"},
      {"EHLO", "helo"},
      {"HELO", "helo"},
      {"after DATA", "data"},
      {"from <", "data"},
      {"by local_scan()", "data"},
      {"connection", "connect"},
      {"AUTH", "auth"},
      {"(", "other"},
  }};
  for (const auto& [words, stage] : kStages) {
    if (verdict.starts_with(words)) return stage;
  }
  return "other";
}

}  // namespace

bool ParseEximReject(std::string_view program, std::string_view message, format::EventRow& row) {
  if (!program.starts_with("exim")) return false;
  row.mta = "exim";
  std::string_view text = message;
  if (!SkipEximPrefixes(text)) return true;  // the rest of a split line: unknown
  row.is_reject = false;
  if (IsDeliveryLine(text)) return true;
  if (ParseAuthenticatorFailure(text, row) || ParseSynchronizationError(text, row)) return true;

  // "[H=… F=<…> ][temporarily ]rejected VERDICT[ object][ fields]: reason"
  Client client;
  std::string_view sender;
  ConsumeFields(text, client, sender);
  ConsumePrefix(text, "temporarily ");
  if (!ConsumePrefix(text, "rejected ")) return true;
  std::string_view stage = StageOf(text);
  std::string_view recipient;
  if (ConsumePrefix(text, "RCPT ")) {
    recipient = ConsumeAddress(text);
  } else if (ConsumePrefix(text, "MAIL ") || ConsumePrefix(text, "from ")) {
    if (text.starts_with('<')) sender = ConsumeAddress(text);
  } else if (ConsumePrefix(text, "EHLO or HELO ") || ConsumePrefix(text, "EHLO ") ||
             ConsumePrefix(text, "HELO ")) {
    std::string_view helo = text.substr(0, text.find(':'));
    if (ConsumePrefix(text, "from ")) {
      ConsumeHost(text, client);
    } else if (client.helo.empty()) {
      client.helo = helo;
    }
  }
  if (ConsumePrefix(text, "from ") && (text.starts_with('[') || text.starts_with('('))) {
    ConsumeHost(text, client);
    ConsumePrefix(text, " ");
  }
  ConsumeFields(text, client, sender);
  SetReject(stage, client, row);
  row.sender = sender;
  row.recipient = recipient;
  size_t colon = text.find(": ");
  if (colon != std::string_view::npos) row.reason = text.substr(colon + 2);
  row.rbl = NamedRblZone(row.reason);
  return true;
}

}  // namespace sluice::parse
