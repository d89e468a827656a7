#include "config/config_loader.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include <toml++/toml.h>

#include "config/follow_tables.h"
#include "config/listen_address.h"

namespace sluice::config {
namespace {

// Applies one value to Settings; returns a description of what is wrong, or nullopt.
using Apply = std::function<std::optional<std::string>(const toml::node&, Settings&)>;

template <typename T>
std::optional<T> Get(const toml::node& node) {
  if (auto v = node.value_exact<T>()) return *v;
  return std::nullopt;
}

Apply StringKey(std::function<std::string&(Settings&)> field) {
  return [field](const toml::node& node, Settings& s) -> std::optional<std::string> {
    auto v = Get<std::string>(node);
    if (!v) return "expected a string";
    field(s) = *v;
    return std::nullopt;
  };
}

template <typename T>
Apply IntKey(std::function<T&(Settings&)> field, int64_t min, int64_t max) {
  return [field, min, max](const toml::node& node, Settings& s) -> std::optional<std::string> {
    auto v = Get<int64_t>(node);
    if (!v) return "expected an integer";
    if (*v < min || *v > max) {
      return "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
             std::to_string(*v);
    }
    field(s) = static_cast<T>(*v);
    return std::nullopt;
  };
}

Apply MillisKey(std::function<std::chrono::milliseconds&(Settings&)> field, int64_t min,
                int64_t max) {
  return IntKey<std::chrono::milliseconds>(field, min, max);
}

Apply SocketModeKey() {
  return [](const toml::node& node, Settings& s) -> std::optional<std::string> {
    auto v = Get<std::string>(node);
    if (!v) return "expected an octal string such as \"0660\"";
    if (v->empty() || v->size() > 4 || v->find_first_not_of("01234567") != std::string::npos) {
      return "expected an octal string such as \"0660\", got \"" + *v + "\"";
    }
    mode_t mode = static_cast<mode_t>(std::stoul(*v, nullptr, 8));
    if (mode > 0777) return "only permission bits (at most \"0777\") are allowed";
    if ((mode & 0200) == 0) return "the owner must be able to write (\"0200\" bit)";
    s.ingest.socket_mode = mode;
    return std::nullopt;
  };
}

// A string that must be one of `choices`.
Apply ChoiceKey(std::function<std::string&(Settings&)> field, std::vector<std::string> choices) {
  return [field, choices](const toml::node& node, Settings& s) -> std::optional<std::string> {
    auto v = Get<std::string>(node);
    if (!v || std::find(choices.begin(), choices.end(), *v) == choices.end()) {
      std::string expected = "expected one of";
      for (size_t i = 0; i < choices.size(); ++i) {
        expected.append(i == 0 ? " \"" : ", \"").append(choices[i]).append("\"");
      }
      return expected;
    }
    field(s) = *v;
    return std::nullopt;
  };
}

// A non-empty array of distinct strings, each one of `choices`.
Apply ListKey(std::function<std::vector<std::string>&(Settings&)> field,
              std::vector<std::string> choices) {
  return [field, choices](const toml::node& node, Settings& s) -> std::optional<std::string> {
    std::string expected = "expected a non-empty array of distinct names out of";
    for (size_t i = 0; i < choices.size(); ++i) {
      expected.append(i == 0 ? " \"" : ", \"").append(choices[i]).append("\"");
    }
    const toml::array* array = node.as_array();
    if (array == nullptr || array->empty()) return expected;
    std::vector<std::string> values;
    for (const toml::node& element : *array) {
      auto v = Get<std::string>(element);
      if (!v || std::find(choices.begin(), choices.end(), *v) == choices.end() ||
          std::find(values.begin(), values.end(), *v) != values.end()) {
        return expected;
      }
      values.push_back(*v);
    }
    field(s) = std::move(values);
    return std::nullopt;
  };
}

// "" or an address to listen on (config/listen_address.h).
Apply ListenKey() {
  return [](const toml::node& node, Settings& s) -> std::optional<std::string> {
    auto v = Get<std::string>(node);
    if (!v || (!v->empty() && !ParseListenAddress(*v))) {
      return "expected \"\" (off) or \"HOST:PORT\" such as \"127.0.0.1:9926\" or "
             "\"[::1]:9926\"";
    }
    s.metrics.listen = *v;
    return std::nullopt;
  };
}

const std::map<std::string, std::map<std::string, Apply>>& Schema() {
  constexpr int64_t kDay = 86'400'000;
  static const auto* schema = new std::map<std::string, std::map<std::string, Apply>>{
      {"ingest",
       {
           {"socket", StringKey([](Settings& s) -> std::string& { return s.ingest.socket; })},
           {"socket_mode", SocketModeKey()},
           {"socket_group",
            StringKey([](Settings& s) -> std::string& { return s.ingest.socket_group; })},
           {"receivers",
            IntKey<int>([](Settings& s) -> int& { return s.ingest.receivers; }, 1, 16)},
           {"queue_mb",
            IntKey<size_t>([](Settings& s) -> size_t& { return s.ingest.queue_mb; }, 1, 65536)},
           {"max_datagram_bytes",
            IntKey<size_t>([](Settings& s) -> size_t& { return s.ingest.max_datagram_bytes; }, 512,
                           4 << 20)},
           {"rcvbuf_kb",
            IntKey<int>([](Settings& s) -> int& { return s.ingest.rcvbuf_kb; }, 0, 1 << 20)},
           {"keep", ChoiceKey([](Settings& s) -> std::string& { return s.ingest.keep; },
                              {"rejects", "all"})},
           {"forward", StringKey([](Settings& s) -> std::string& { return s.ingest.forward; })},
           {"host", StringKey([](Settings& s) -> std::string& { return s.ingest.host; })},
           {"ring", StringKey([](Settings& s) -> std::string& { return s.ingest.ring; })},
       }},
      {"database",
       {
           {"conninfo", StringKey([](Settings& s) -> std::string& { return s.database.conninfo; })},
           {"instance_id",
            StringKey([](Settings& s) -> std::string& { return s.database.instance_id; })},
           {"writers", IntKey<int>([](Settings& s) -> int& { return s.database.writers; }, 1, 64)},
           {"batch_rows",
            IntKey<size_t>([](Settings& s) -> size_t& { return s.database.batch_rows; }, 1,
                           1'000'000)},
           {"batch_mb",
            IntKey<size_t>([](Settings& s) -> size_t& { return s.database.batch_mb; }, 1, 128)},
           {"batch_ms", MillisKey(
                            [](Settings & s) -> auto& { return s.database.batch_ms; }, 1, kDay)},
           {"shutdown_timeout_ms",
            MillisKey(
                [](Settings & s) -> auto& { return s.database.shutdown_timeout_ms; }, 0, kDay)},
           {"backoff_min_ms",
            MillisKey(
                [](Settings & s) -> auto& { return s.database.backoff_min_ms; }, 1, kDay)},
           {"backoff_max_ms",
            MillisKey(
                [](Settings & s) -> auto& { return s.database.backoff_max_ms; }, 1, kDay)},
           {"statement_timeout_ms",
            MillisKey(
                [](Settings & s) -> auto& { return s.database.statement_timeout_ms; }, 0, kDay)},
           {"idle_disconnect_ms",
            MillisKey(
                [](Settings & s) -> auto& { return s.database.idle_disconnect_ms; }, 0, kDay)},
           {"retention_days",
            IntKey<int>([](Settings& s) -> int& { return s.database.retention_days; }, 0, 36500)},
           {"ledger_keep_days",
            IntKey<int>([](Settings& s) -> int& { return s.database.ledger_keep_days; }, 1, 36500)},
           {"partitions_ahead_days",
            IntKey<int>([](Settings& s) -> int& { return s.database.partitions_ahead_days; }, 1,
                        366)},
       }},
      {"spool",
       {
           {"dir", StringKey([](Settings& s) -> std::string& { return s.spool.dir; })},
           {"mode",
            ChoiceKey([](Settings& s) -> std::string& { return s.spool.mode; }, {"wal", "spill"})},
           {"sync_ms", MillisKey(
                           [](Settings & s) -> auto& { return s.spool.sync_ms; }, 1, 60'000)},
           {"memory_mb",
            IntKey<size_t>([](Settings& s) -> size_t& { return s.spool.memory_mb; }, 0, 1 << 20)},
           {"disk_mb",
            IntKey<size_t>([](Settings& s) -> size_t& { return s.spool.disk_mb; }, 0, 1 << 30)},
           {"segment_mb",
            IntKey<size_t>([](Settings& s) -> size_t& { return s.spool.segment_mb; }, 1, 4096)},
           {"zstd_level",
            IntKey<int>([](Settings& s) -> int& { return s.spool.zstd_level; }, 1, 19)},
       }},
      {"flood",
       {
           {"mode", ChoiceKey([](Settings& s) -> std::string& { return s.flood.mode; },
                              {"auto", "always", "never"})},
           {"enter_rate",
            IntKey<uint64_t>([](Settings& s) -> uint64_t& { return s.flood.enter_rate; }, 1,
                             1'000'000'000)},
           {"leave_rate",
            IntKey<uint64_t>([](Settings& s) -> uint64_t& { return s.flood.leave_rate; }, 0,
                             1'000'000'000)},
           {"rate_window_ms",
            MillisKey(
                [](Settings & s) -> auto& { return s.flood.rate_window_ms; }, 200, 600'000)},
           {"enter_backlog",
            IntKey<uint64_t>([](Settings& s) -> uint64_t& { return s.flood.enter_backlog; }, 1,
                             1'000'000'000'000)},
           {"leave_backlog",
            IntKey<uint64_t>([](Settings& s) -> uint64_t& { return s.flood.leave_backlog; }, 0,
                             1'000'000'000'000)},
           {"leave_after_ms",
            MillisKey(
                [](Settings & s) -> auto& { return s.flood.leave_after_ms; }, 0, kDay)},
           {"window_ms", MillisKey(
                             [](Settings & s) -> auto& { return s.flood.window_ms; }, 100, kDay)},
           {"detail_sample",
            IntKey<uint32_t>([](Settings& s) -> uint32_t& { return s.flood.detail_sample; }, 0,
                             1'000'000'000)},
           {"max_keys", IntKey<size_t>([](Settings& s) -> size_t& { return s.flood.max_keys; }, 16,
                                       100'000'000)},
           {"key",
            ListKey([](Settings& s) -> std::vector<std::string>& { return s.flood.key; },
                    {"host", "mta", "stage", "client_ip", "reason_class", "rbl", "smtp_code"})},
       }},
      {"log",
       {{"level", ChoiceKey([](Settings& s) -> std::string& { return s.log.level; },
                            {"debug", "info", "warn", "error"})}}},
      {"metrics", {{"listen", ListenKey()}}},
  };
  return *schema;
}

std::string Where(std::string_view file, const toml::source_region& region) {
  std::ostringstream out;
  out << file << ":" << region.begin.line;
  return out.str();
}

}  // namespace

Result<Settings> ParseConfig(std::string_view toml_text, std::string_view file_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, file_name);
  } catch (const toml::parse_error& e) {
    return Fail(ErrorCode::kInvalidArgument,
                Where(file_name, e.source()) + ": invalid TOML: " + std::string(e.description()));
  }

  Settings settings;
  bool saw_conninfo = false;
  const auto& schema = Schema();
  for (auto&& [table_key, table_node] : root) {
    std::string table_name(table_key.str());
    if (table_name == "follow") {
      auto paths = ParseFollowTables(table_node, file_name);
      if (!paths) return tl::unexpected(paths.error());
      settings.follow = std::move(*paths);
      continue;
    }
    auto known_table = schema.find(table_name);
    if (known_table == schema.end()) {
      return Fail(ErrorCode::kInvalidArgument,
                  Where(file_name, table_key.source()) + ": key '" + table_name + "': unknown key");
    }
    const toml::table* table = table_node.as_table();
    if (table == nullptr) {
      return Fail(ErrorCode::kInvalidArgument, Where(file_name, table_key.source()) + ": key '" +
                                                   table_name + "': expected a table");
    }
    for (auto&& [key, node] : *table) {
      std::string full_key = table_name + "." + std::string(key.str());
      auto known_key = known_table->second.find(std::string(key.str()));
      if (known_key == known_table->second.end()) {
        return Fail(ErrorCode::kInvalidArgument,
                    Where(file_name, key.source()) + ": key '" + full_key + "': unknown key");
      }
      if (auto problem = known_key->second(node, settings)) {
        return Fail(ErrorCode::kInvalidArgument,
                    Where(file_name, node.source()) + ": key '" + full_key + "': " + *problem);
      }
      if (full_key == "database.conninfo") saw_conninfo = true;
    }
  }

  if (!saw_conninfo) {
    const toml::node* database = root.get("database");
    std::string where =
        database != nullptr ? Where(file_name, database->source()) : std::string(file_name) + ":1";
    return Fail(ErrorCode::kInvalidArgument,
                where +
                    ": key 'database.conninfo': missing; set it to a libpq conninfo string "
                    "(\"\" uses the PG* environment variables)");
  }
  auto refuse = [&](std::string_view key, std::string_view problem) {
    const toml::node* node = root.at_path(key).node();
    std::string where =
        node != nullptr ? Where(file_name, node->source()) : std::string(file_name) + ":1";
    return Fail(ErrorCode::kInvalidArgument,
                where + ": key '" + std::string(key) + "': " + std::string(problem));
  };
  if (settings.database.backoff_max_ms < settings.database.backoff_min_ms) {
    return refuse("database.backoff_max_ms", "must not be below backoff_min_ms");
  }
  if (!settings.ingest.forward.empty() && settings.ingest.forward == settings.ingest.socket) {
    return refuse("ingest.forward", "must not be ingest.socket itself (a loop)");
  }
  if (settings.flood.leave_rate > settings.flood.enter_rate) {
    return refuse("flood.leave_rate", "must not be above enter_rate");
  }
  if (settings.flood.leave_backlog > settings.flood.enter_backlog) {
    return refuse("flood.leave_backlog", "must not be above enter_backlog");
  }
  if (!settings.ingest.ring.empty() && settings.ingest.ring.front() != '/') {
    return refuse("ingest.ring",
                  "must be an absolute path (on tmpfs, say /run/sluice/ingest.ring)");
  }
  if (settings.ingest.forward.size() > 107) {
    return refuse("ingest.forward", "a Unix socket path has at most 107 bytes");
  }
  return settings;
}

Result<std::string> ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(ErrorCode::kInvalidArgument, path + ":0: cannot read the config file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<Settings> LoadConfig(const std::string& path) {
  auto text = ReadConfigFile(path);
  if (!text) return tl::unexpected(text.error());
  return ParseConfig(*text, path);
}

std::vector<std::string> ChangedKeys(std::string_view old_text, std::string_view new_text) {
  auto values = [](std::string_view text) {
    std::map<std::string, std::string> keys;
    toml::table root;
    try {
      root = toml::parse(text);
    } catch (const toml::parse_error&) {
      return keys;
    }
    for (auto&& [table_key, table_node] : root) {
      const toml::table* table = table_node.as_table();
      if (table == nullptr) {  // [[follow]]: one key for the whole list
        std::ostringstream value;
        table_node.visit([&value](const auto& v) { value << v; });
        keys[std::string(table_key.str())] = value.str();
        continue;
      }
      for (auto&& [key, node] : *table) {
        std::ostringstream value;
        node.visit([&value](const auto& v) { value << v; });
        keys[std::string(table_key.str()) + "." + std::string(key.str())] = value.str();
      }
    }
    return keys;
  };
  std::map<std::string, std::string> before = values(old_text), after = values(new_text);
  std::vector<std::string> changed;
  for (const auto& [key, value] : before) {
    auto found = after.find(key);
    if (found == after.end() || found->second != value) changed.push_back(key);
  }
  for (const auto& [key, value] : after) {
    if (before.count(key) == 0) changed.push_back(key);
  }
  std::sort(changed.begin(), changed.end());
  return changed;
}

}  // namespace sluice::config
