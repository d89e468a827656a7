#include "cli/follow_command.h"

#include <signal.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/batch_upload.h"
#include "cli/log_lines.h"
#include "common/clock.h"
#include "common/counters.h"
#include "config/instance_id.h"
#include "ingest/followed_file.h"
#include "pipeline/batcher.h"
#include "pipeline/event_builder.h"
#include "sink/pg_connection.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;

constexpr auto kIdlePoll = std::chrono::milliseconds(200);
constexpr size_t kMaxChunkBytes = 4 << 20;

std::atomic<bool> g_stop{false};
void RequestStop(int) { g_stop.store(true); }

// "follow:HOST:PATH:" — the ledger names of a followed file's batches start with this.
std::string LedgerPrefix(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  return "follow:" + config::MachineName() + ":" + (ec ? path : absolute.string()) + ":";
}

std::string InstanceId(const std::string& prefix, const FilePosition& at) {
  return prefix + std::to_string(at.inode) + ":" + std::to_string(at.generation);
}

// The furthest committed position of `inode` in the ledger (generation, then offset).
Result<FilePosition> CommittedPosition(sink::PgConnection& conn, const std::string& prefix,
                                       uint64_t inode) {
  const std::string mine = prefix + std::to_string(inode) + ":";
  const std::string literal = conn.Literal(mine);
  auto rows = conn.ExecColumn("SELECT substr(instance_id, length(" + literal +
                              ") + 1) || ':' || max(batch_id) FROM sluice.batches WHERE "
                              "left(instance_id, length(" +
                              literal + ")) = " + literal + " GROUP BY instance_id");
  if (!rows) return tl::unexpected(rows.error());
  FilePosition best{inode, 0, 0};
  for (const std::string& row : *rows) {  // "GEN:OFFSET"
    FilePosition at{inode, 0, 0};
    size_t colon = row.find(':');
    std::from_chars(row.data(), row.data() + colon, at.generation);
    std::from_chars(row.data() + colon + 1, row.data() + row.size(), at.offset);
    if (at.generation > best.generation ||
        (at.generation == best.generation && at.offset > best.offset)) {
      best = at;
    }
  }
  return best;
}

// The position kept beside the spool, for when the ledger rows are gone (ledger_keep_days).
class PositionFile {
 public:
  PositionFile(const std::string& dir, const std::string& prefix)
      : path_(dir + "/" + std::to_string(std::hash<std::string>{}(prefix)) + ".pos") {
    std::error_code ec;
    fs::create_directories(dir, ec);
  }
  FilePosition Load() const {
    FilePosition at;
    std::ifstream in(path_);
    in >> at.inode >> at.generation >> at.offset;
    return in ? at : FilePosition{};
  }
  // Written to a new file and renamed over the old one: never half written.
  void Save(const FilePosition& at) const {
    const std::string temp = path_ + ".new";
    {
      std::ofstream out(temp, std::ios::trunc);
      out << at.inode << " " << at.generation << " " << at.offset << "\n";
    }
    std::error_code ec;
    fs::rename(temp, path_, ec);
  }

 private:
  std::string path_;
};

// One followed file and what it has done.
struct Follower {
  Follower(std::string ledger_prefix, const std::string& path, const config::Settings& settings,
           pipeline::EventBuilder& builder)
      : prefix(std::move(ledger_prefix)),
        file(path),
        positions(settings.spool.dir + "/follow", prefix),
        lines(settings, builder) {}
  std::string prefix;
  ingest::FollowedFile file;
  PositionFile positions;
  LogLines lines;
  Counters counters;
  bool started = false;
};

}  // namespace

int RunFollow(const config::Settings& settings, const std::vector<std::string>& paths) {
  struct sigaction action {};
  action.sa_handler = RequestStop;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  auto conn = sink::PgConnection::Connect(settings.database.conninfo, "sluice follow");
  if (!conn) {
    std::cerr << "sluice import --follow: " << conn.error().message() << "\n";
    return 1;
  }
  pipeline::EventBuilder builder;
  builder.SetDefaultHost(config::LocalHost(settings));
  std::vector<std::unique_ptr<Follower>> followers;
  for (const std::string& path : paths) {
    std::string prefix = LedgerPrefix(path);
    followers.push_back(std::make_unique<Follower>(std::move(prefix), path, settings, builder));
  }
  std::unique_ptr<sink::BatchWriter> writer;
  std::vector<std::string> lines;
  bool failed = false;
  while (!g_stop.load() && !failed) {
    bool any = false;
    for (auto& f : followers) {
      if (!f->started) {  // resume where the ledger (or the position file) says
        auto opened = f->file.Open(FilePosition{});
        if (!opened) {
          std::cerr << "sluice import --follow: " << opened.error().message() << "\n";
          failed = true;
          break;
        }
        if (!*opened) continue;  // not there yet
        uint64_t inode = f->file.position().inode;
        auto committed = CommittedPosition(**conn, f->prefix, inode);
        if (!committed) {
          std::cerr << "sluice import --follow: " << committed.error().message() << "\n";
          failed = true;
          break;
        }
        FilePosition at = *committed;
        if (FilePosition kept = f->positions.Load(); kept.inode == inode && Later(kept, at)) {
          at = kept;
        }
        if (!f->file.Open(at)) failed = true;
        f->started = true;
      }
      lines.clear();
      auto after = f->file.Read(lines, settings.database.batch_rows, kMaxChunkBytes);
      if (!after) {
        std::cerr << "sluice import --follow: " << after.error().message() << "\n";
        failed = true;
        break;
      }
      if (lines.empty()) continue;
      any = true;
      // One batch for the piece, named by where it ends: sent again after a crash, it is the
      // same batch, and the ledger has it.
      std::vector<format::Batch> batches;
      pipeline::Batcher batcher(
          lines.size() + 1, std::chrono::hours(24), after->offset,
          [&](format::Batch&& batch) { batches.push_back(std::move(batch)); }, SIZE_MAX);
      builder.SetNow(WallMicros());
      const int64_t received_at = WallMicros();
      for (const std::string& line : lines) f->lines.Add(line, received_at, batcher);
      batcher.Flush();
      if (!batches.empty()) {
        Status uploaded = UploadBatches(settings, "sluice follow", writer,
                                        InstanceId(f->prefix, *after), batches, f->counters);
        if (!uploaded) {
          std::cerr << "sluice import --follow: " << uploaded.error().message()
                    << "; stopping (run it again to go on where it stopped)\n";
          failed = true;
          break;
        }
      }
      f->positions.Save(*after);
    }
    if (!any && !g_stop.load()) std::this_thread::sleep_for(kIdlePoll);
  }
  for (auto& f : followers) PrintSummary(f->file.path(), "follow", f->lines.totals(), f->counters);
  return failed ? 1 : 0;
}

}  // namespace sluice::cli
