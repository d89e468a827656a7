#include "sink/pg_connection.h"

#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include "common/logging.h"
#include "sink/sqlstate_policy.h"

namespace sluice::sink {
namespace {

std::string Trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

using SteadyClock = std::chrono::steady_clock;

// COPY data goes to libpq in pieces of this size (PQputCopyData takes an int).
constexpr size_t kCopyChunkBytes = 1 << 20;
// How often a wait for the server looks at Abort().
constexpr std::chrono::milliseconds kWaitSlice{100};

// "BEGIN; " and, for a `timeout` above zero, the SET LOCAL that makes the server cancel the
// transaction's statements after it.
std::string BeginAllowing(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return "BEGIN; ";
  return "BEGIN; SET LOCAL statement_timeout = " + std::to_string(timeout.count()) + "; ";
}

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::string& conninfo, const std::string& application_name,
    std::chrono::milliseconds statement_timeout) {
  // Later keywords override earlier ones, so the user's conninfo (expanded from "dbname")
  // overrides our defaults. Nothing here may need a session to itself: a transaction-pooling
  // PgBouncer refuses the startup packet's "options" and gives each transaction whichever server
  // connection is free (so the statement timeout is set in each transaction, BeginSql()).
  std::array<const char*, 10> keys = {"fallback_application_name",
                                      "connect_timeout",
                                      "client_encoding",
                                      "keepalives",
                                      "keepalives_idle",
                                      "keepalives_interval",
                                      "keepalives_count",
                                      "tcp_user_timeout",
                                      "dbname",
                                      nullptr};
  std::array<const char*, 10> values = {
      application_name.c_str(), "5",    "UTF8", "1", "10", "5", "3", "30000",
      conninfo.c_str(),         nullptr};
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return Fail(ErrorCode::kUnavailable, "out of memory for a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = "cannot connect to PostgreSQL: " + Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Fail(ErrorCode::kUnavailable, message);
  }
  // Non-blocking, so that no wait for the server can outlast the statement's deadline.
  if (PQsetnonblocking(conn, 1) != 0) {
    std::string message = "cannot use PostgreSQL connection: " + Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Fail(ErrorCode::kUnavailable, message);
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn, statement_timeout));
}

PgConnection::PgConnection(PGconn* conn, std::chrono::milliseconds statement_timeout)
    : conn_(conn), cancel_(PQgetCancel(conn)), statement_timeout_(statement_timeout) {
  // Server notices ("relation already exists, skipping") are not the operator's business.
  PQsetNoticeProcessor(
      conn_, [](void*, const char* message) { Log(LogLevel::kDebug, Trimmed(message)); }, nullptr);
}

PgConnection::~PgConnection() {
  if (cancel_ != nullptr) PQfreeCancel(cancel_);
  PQfinish(conn_);
}

bool PgConnection::ok() const {
  return !aborted_.load(std::memory_order_relaxed) && PQstatus(conn_) == CONNECTION_OK;
}

void PgConnection::Cancel() {
  if (cancel_ == nullptr) return;
  std::array<char, 256> error{};
  // A failed cancel leaves the statement running; the caller's deadline handles that.
  (void)PQcancel(cancel_, error.data(), static_cast<int>(error.size()));
}

std::string PgConnection::BeginSql() const { return BeginAllowing(statement_timeout_); }

std::string PgConnection::Literal(std::string_view text) const {
  char* literal = PQescapeLiteral(conn_, text.data(), text.size());
  std::string quoted = literal != nullptr ? literal : "'?'";
  PQfreemem(literal);
  return quoted;
}

void PgConnection::Abort() {
  aborted_.store(true, std::memory_order_relaxed);
  Cancel();
}

SteadyClock::time_point PgConnection::Deadline() const {
  const auto timeout = timeout_override_.count() > 0 ? timeout_override_ : statement_timeout_;
  if (timeout.count() <= 0) return SteadyClock::time_point::max();
  return SteadyClock::now() + timeout + std::chrono::seconds(1);
}

Error PgConnection::GiveUp(std::string_view why) {
  Cancel();
  aborted_.store(true, std::memory_order_relaxed);  // never used again: ok() is false
  last_sqlstate_.clear();
  return Error(ErrorCode::kUnavailable, std::string(why));
}

Status PgConnection::WaitForSocket(bool write, SteadyClock::time_point deadline) {
  while (true) {
    if (heartbeat_ != nullptr) heartbeat_->Beat();
    if (aborted_.load(std::memory_order_relaxed)) {
      return tl::unexpected(GiveUp("the connection was aborted (shutting down)"));
    }
    auto now = SteadyClock::now();
    if (now >= deadline) {
      return tl::unexpected(GiveUp("no answer from PostgreSQL within the statement timeout (" +
                                   std::to_string(statement_timeout_.count()) +
                                   " ms + 1 s); the connection is dropped"));
    }
    auto slice = std::min<SteadyClock::duration>(kWaitSlice, deadline - now);
    pollfd fd{PQsocket(conn_), static_cast<short>(write ? POLLOUT : POLLIN), 0};
    int ready = ::poll(
        &fd, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(slice).count()));
    if (ready > 0) return Ok();
    if (ready < 0 && errno != EINTR) {
      return tl::unexpected(GiveUp(std::string("poll: ") + std::strerror(errno)));
    }
  }
}

Result<PGresult*> PgConnection::NextResult(SteadyClock::time_point deadline) {
  while (true) {
    int flushed = PQflush(conn_);
    if (flushed < 0) return tl::unexpected(ResultError(nullptr, "query failed"));
    if (PQconsumeInput(conn_) == 0) return tl::unexpected(ResultError(nullptr, "query failed"));
    if (flushed == 0 && !PQisBusy(conn_)) return PQgetResult(conn_);
    SLUICE_RETURN_IF_ERROR(WaitForSocket(/*write=*/flushed == 1, deadline));
  }
}

Error PgConnection::ResultError(PGresult* result, std::string_view what) {
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message =
      std::string(what) + ": " +
      Trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (message.size() == what.size() + 2) message += Trimmed(PQerrorMessage(conn_));
  last_sqlstate_ = sqlstate != nullptr ? sqlstate : "";
  bool data_error = ok() && IsDataError(last_sqlstate_);
  if (!last_sqlstate_.empty()) message += " [SQLSTATE " + last_sqlstate_ + "]";
  if (std::string_view hint = RefusalHint(last_sqlstate_); !data_error && !hint.empty()) {
    message += ": " + std::string(hint);
  }
  return Error(data_error ? ErrorCode::kRejected : ErrorCode::kUnavailable, message);
}

Result<std::vector<std::string>> PgConnection::ExecColumn(std::string_view sql) {
  if (!ok()) return Fail(ErrorCode::kUnavailable, "the connection is closed");
  std::string query(sql);
  if (PQsendQuery(conn_, query.c_str()) != 1) {
    return tl::unexpected(ResultError(nullptr, "query failed"));
  }
  return CollectResults("query failed");
}

Result<std::vector<std::string>> PgConnection::CollectResults(std::string_view what) {
  // Several statements give several results: the values of the last, or the first error.
  const auto deadline = Deadline();
  std::optional<Error> error;
  std::vector<std::string> values;
  while (true) {
    auto next = NextResult(deadline);
    if (!next) return tl::unexpected(next.error());
    ResultPtr result(*next);
    if (!result) break;
    ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_COMMAND_OK) {
      values.clear();
    } else if (status == PGRES_TUPLES_OK) {
      values.clear();
      for (int row = 0; row < PQntuples(result.get()) && PQnfields(result.get()) > 0; ++row) {
        values.emplace_back(PQgetvalue(result.get(), row, 0));
      }
    } else if (!error) {
      error = ResultError(result.get(), what);
    }
  }
  if (error) return tl::unexpected(*error);
  return values;
}

Result<std::string> PgConnection::ExecScalar(std::string_view sql) {
  auto column = ExecColumn(sql);
  if (!column) return tl::unexpected(column.error());
  return column->empty() ? std::string() : std::move(column->front());
}

Result<std::string> PgConnection::ExecScalarWithTimeout(std::string_view sql,
                                                        std::chrono::milliseconds timeout) {
  timeout_override_ = timeout;
  auto value = ExecScalar(BeginAllowing(timeout) + std::string(sql));
  Status committed = value ? Exec("COMMIT") : Ok();
  timeout_override_ = std::chrono::milliseconds{0};
  if (!value || !committed) {
    if (ok()) (void)Exec("ROLLBACK");  // the original error is the one to report
    return tl::unexpected(!value ? value.error() : committed.error());
  }
  return value;
}

Status PgConnection::Exec(std::string_view sql) {
  auto result = ExecScalar(sql);
  if (!result) return tl::unexpected(result.error());
  return Ok();
}

Status PgConnection::ExecParams(const std::string& sql, const std::vector<const char*>& params) {
  if (!ok()) return Fail(ErrorCode::kUnavailable, "the connection is closed");
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, params.data(),
                        nullptr, nullptr, 0) != 1) {
    return tl::unexpected(ResultError(nullptr, "statement failed"));
  }
  auto results = CollectResults("statement failed");
  if (!results) return tl::unexpected(results.error());
  return Ok();
}

Status PgConnection::CopyIn(std::string_view copy_sql, std::string_view data) {
  if (!ok()) return Fail(ErrorCode::kUnavailable, "the connection is closed");
  std::string query(copy_sql);
  if (PQsendQuery(conn_, query.c_str()) != 1) {
    return tl::unexpected(ResultError(nullptr, "COPY failed to start"));
  }
  const auto deadline = Deadline();
  auto started = NextResult(deadline);
  if (!started) return tl::unexpected(started.error());
  ResultPtr start(*started);
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) {
    Error error = ResultError(start.get(), "COPY failed to start");
    while (auto rest = NextResult(deadline)) {  // drain what else the server sent
      if (*rest == nullptr) break;
      PQclear(*rest);
    }
    return tl::unexpected(error);
  }
  // In pieces: PQputCopyData takes an int, and a full socket means waiting, within the deadline.
  while (!data.empty()) {
    std::string_view piece = data.substr(0, kCopyChunkBytes);
    int sent = PQputCopyData(conn_, piece.data(), static_cast<int>(piece.size()));
    if (sent < 0) {
      return Fail(ErrorCode::kUnavailable, "COPY failed: " + Trimmed(PQerrorMessage(conn_)));
    }
    if (sent == 0) {
      SLUICE_RETURN_IF_ERROR(WaitForSocket(/*write=*/true, deadline));
      continue;
    }
    data.remove_prefix(piece.size());
  }
  while (true) {
    int ended = PQputCopyEnd(conn_, nullptr);
    if (ended < 0) {
      return Fail(ErrorCode::kUnavailable, "COPY failed: " + Trimmed(PQerrorMessage(conn_)));
    }
    if (ended == 1) break;
    SLUICE_RETURN_IF_ERROR(WaitForSocket(/*write=*/true, deadline));
  }
  Status status = Ok();
  while (true) {
    auto next = NextResult(deadline);
    if (!next) return tl::unexpected(next.error());
    ResultPtr result(*next);
    if (!result) break;
    if (status && PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      status = tl::unexpected(ResultError(result.get(), "COPY failed"));
    }
  }
  return status;
}

}  // namespace sluice::sink
