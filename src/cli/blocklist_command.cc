#include "cli/blocklist_command.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <charconv>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include "cli/period.h"
#include "common/atomic_file.h"
#include "common/env.h"
#include "sink/pg_connection.h"

namespace sluice::cli {
namespace {

struct Listed {
  std::string network;  // as PostgreSQL's cidr text: 192.0.2.0/24, 2001:db8::/64
  std::string events;
  bool v6;
};

// "ADDRESS" or "ADDRESS/LENGTH", IPv4 or IPv6; false if it is neither.
bool IsNetwork(const std::string& text) {
  const size_t slash = text.find('/');
  const std::string address = text.substr(0, slash);
  unsigned char buffer[16];
  int family = 0;
  if (inet_pton(AF_INET, address.c_str(), buffer) == 1) {
    family = 4;
  } else if (inet_pton(AF_INET6, address.c_str(), buffer) == 1) {
    family = 6;
  } else {
    return false;
  }
  if (slash == std::string::npos) return true;
  int length = -1;
  const char* begin = text.data() + slash + 1;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(begin, end, length);
  return error == std::errc() && stop == end && begin != end && length >= 0 &&
         length <= (family == 4 ? 32 : 128);
}

// The networks of the allow list at `path`: one per line, '#' comments, blank lines ignored.
std::optional<std::vector<std::string>> ReadAllowList(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "sluice blocklist: --never " << path << ": cannot be read\n";
    return std::nullopt;
  }
  std::vector<std::string> networks;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (size_t hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::string word, extra;
    if (!(words >> word)) continue;
    if (words >> extra || !IsNetwork(word)) {
      std::cerr << "sluice blocklist: " << path << ":" << number << ": '" << line
                << "' is not an address or a network (such as 192.0.2.7 or 198.51.100.0/24)\n";
      return std::nullopt;
    }
    networks.push_back(word);
  }
  return networks;
}

std::string NowUtc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

std::string Render(const std::vector<Listed>& listed, const BlocklistQuery& query) {
  std::ostringstream out;
  out << "# sluice blocklist: " << listed.size() << " network(s) with at least " << query.min_events
      << " rejects in the last " << query.since << " (IPv4 /" << query.prefix << ", IPv6 /"
      << query.prefix6 << "), " << NowUtc() << ".\n"
      << "# Never listed: " << (query.list_loopback ? "" : "loopback, ")
      << (query.never.empty() ? "no allow list" : "the allow list " + query.never)
      << ". Written by sluice blocklist; edits are lost at the next run.\n";
  if (query.format == "plain") {
    for (const Listed& entry : listed) out << entry.network << "\t" << entry.events << "\n";
  } else if (query.format == "postfix-cidr") {
    for (const Listed& entry : listed) out << entry.network << "\treject\n";
  } else {  // nftables
    auto set = [&](const char* name, const char* type, bool v6) {
      out << "\tset " << name << " {\n\t\ttype " << type << "\n\t\tflags interval\n";
      std::string elements;
      for (const Listed& entry : listed) {
        if (entry.v6 != v6) continue;
        elements += (elements.empty() ? "" : ",\n\t\t\t") + entry.network;
      }
      if (!elements.empty()) out << "\t\telements = {\n\t\t\t" << elements << "\n\t\t}\n";
      out << "\t}\n";
    };
    out << "# Load with: nft -f FILE (replaces table inet sluice whole).\n"
        << "table inet sluice\ndelete table inet sluice\ntable inet sluice {\n";
    set("blocklist4", "ipv4_addr", false);
    set("blocklist6", "ipv6_addr", true);
    out << "\tchain smtp {\n"
        << "\t\ttype filter hook input priority filter - 1; policy accept;\n"
        << "\t\ttcp dport 25 ip saddr @blocklist4 drop\n"
        << "\t\ttcp dport 25 ip6 saddr @blocklist6 drop\n"
        << "\t}\n}\n";
  }
  return out.str();
}

// Writes `text` to `path` so that a reader sees the old file or the new one, never a part.
bool WriteAtomically(const std::string& path, const std::string& text) {
  // A name of its own, so that two runs at once (a timer and a hand) never share one.
  Status written =
      WriteFileAtomically(DefaultEnv().fs, path, text, path + ".tmp." + std::to_string(::getpid()));
  if (!written) std::cerr << "sluice blocklist: " << written.error().message() << "\n";
  return static_cast<bool>(written);
}

}  // namespace

int RunBlocklist(const config::Settings& settings, const BlocklistQuery& query) {
  auto interval = IntervalText(query.since);
  if (!interval) {
    std::cerr << "sluice blocklist: --since " << query.since
              << ": expected a number and s, m, h or d, such as 1h or 7d\n";
    return 1;
  }
  if (query.format != "postfix-cidr" && query.format != "nftables" && query.format != "plain") {
    std::cerr << "sluice blocklist: --format " << query.format
              << ": expected postfix-cidr, nftables or plain\n";
    return 1;
  }
  if (query.min_events < 1 || query.prefix < 8 || query.prefix > 32 || query.prefix6 < 16 ||
      query.prefix6 > 128) {
    std::cerr << "sluice blocklist: --min-events at least 1, --prefix 8 to 32, --prefix6 16 "
                 "to 128\n";
    return 1;
  }
  std::vector<std::string> never;
  if (!query.list_loopback) never = {"127.0.0.0/8", "::1/128"};
  if (!query.never.empty()) {
    auto allowed = ReadAllowList(query.never);
    if (!allowed) return 1;
    never.insert(never.end(), allowed->begin(), allowed->end());
  }
  auto conn = sink::PgConnection::Connect(settings.database.conninfo, "sluice blocklist");
  if (!conn) {
    std::cerr << "sluice blocklist: " << conn.error().message() << "\n";
    return 1;
  }
  sink::PgConnection& db = **conn;
  std::string allow_array = "ARRAY[";
  for (size_t i = 0; i < never.size(); ++i) {
    if (i > 0) allow_array += ", ";
    allow_array += db.Literal(never[i]);
    allow_array += "::inet";
  }
  allow_array += "]::inet[]";
  const std::string sql =
      "WITH hits AS (SELECT network(set_masklen(client_ip, CASE WHEN family(client_ip) = 4 "
      "THEN least(masklen(client_ip), " +
      std::to_string(query.prefix) + ") ELSE least(masklen(client_ip), " +
      std::to_string(query.prefix6) +
      ") END)) AS net, events FROM sluice.rejects WHERE client_ip IS NOT NULL AND at >= now() - "
      "interval " +
      db.Literal(*interval) +
      "), totals AS (SELECT net, sum(events) AS events FROM hits GROUP BY net) "
      "SELECT net::text || ' ' || events || ' ' || family(net) FROM totals WHERE events >= " +
      std::to_string(query.min_events) + " AND NOT net && ANY (" + allow_array +
      ") ORDER BY events DESC, net";
  auto rows = db.ExecColumn(sql);
  if (!rows) {
    std::cerr << "sluice blocklist: " << rows.error().message() << "\n";
    return 1;
  }
  std::vector<Listed> listed;
  for (const std::string& row : *rows) {
    std::istringstream fields(row);
    Listed entry;
    int family = 4;
    fields >> entry.network >> entry.events >> family;
    entry.v6 = family == 6;
    listed.push_back(std::move(entry));
  }
  const std::string text = Render(listed, query);
  if (query.output.empty()) {
    std::cout << text;
    return 0;
  }
  if (!WriteAtomically(query.output, text)) return 1;
  std::cerr << "sluice blocklist: " << listed.size() << " network(s) written to " << query.output
            << "\n";
  return 0;
}

}  // namespace sluice::cli
