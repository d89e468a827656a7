#include "sink/pg_connection.h"

#include <array>
#include <cstring>

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

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& conninfo,
                                                            const std::string& application_name) {
  // Later keywords override earlier ones, so the user's conninfo (expanded from "dbname")
  // overrides our defaults.
  std::array<const char*, 4> keys = {"fallback_application_name", "connect_timeout", "dbname",
                                     nullptr};
  std::array<const char*, 4> values = {application_name.c_str(), "5", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return Fail(ErrorCode::kUnavailable, "out of memory for a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = "cannot connect to PostgreSQL: " + Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Fail(ErrorCode::kUnavailable, message);
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::PgConnection(PGconn* conn) : conn_(conn), cancel_(PQgetCancel(conn)) {
  // Server notices ("relation already exists, skipping") are not the operator's business.
  PQsetNoticeProcessor(
      conn_, [](void*, const char* message) { Log(LogLevel::kDebug, Trimmed(message)); }, nullptr);
}

PgConnection::~PgConnection() {
  if (cancel_ != nullptr) PQfreeCancel(cancel_);
  PQfinish(conn_);
}

bool PgConnection::ok() const { return PQstatus(conn_) == CONNECTION_OK; }

void PgConnection::Cancel() {
  if (cancel_ == nullptr) return;
  std::array<char, 256> error{};
  // A failed cancel leaves the statement running; the caller's deadline handles that.
  (void)PQcancel(cancel_, error.data(), static_cast<int>(error.size()));
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
  std::string query(sql);
  ResultPtr result(PQexec(conn_, query.c_str()));
  ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK) return std::vector<std::string>();
  if (status != PGRES_TUPLES_OK) return tl::unexpected(ResultError(result.get(), "query failed"));
  std::vector<std::string> values;
  if (PQnfields(result.get()) == 0) return values;
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    values.emplace_back(PQgetvalue(result.get(), row, 0));
  }
  return values;
}

Result<std::string> PgConnection::ExecScalar(std::string_view sql) {
  auto column = ExecColumn(sql);
  if (!column) return tl::unexpected(column.error());
  return column->empty() ? std::string() : std::move(column->front());
}

Status PgConnection::Exec(std::string_view sql) {
  auto result = ExecScalar(sql);
  if (!result) return tl::unexpected(result.error());
  return Ok();
}

Status PgConnection::ExecParams(const std::string& sql, const std::vector<const char*>& params) {
  ResultPtr result(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                params.data(), nullptr, nullptr, 0));
  ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return tl::unexpected(ResultError(result.get(), "statement failed"));
  }
  return Ok();
}

Status PgConnection::CopyIn(std::string_view copy_sql, std::string_view data) {
  std::string query(copy_sql);
  ResultPtr start(PQexec(conn_, query.c_str()));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) {
    return tl::unexpected(ResultError(start.get(), "COPY failed to start"));
  }
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 ||
      PQputCopyEnd(conn_, nullptr) != 1) {
    return Fail(ErrorCode::kUnavailable, "COPY failed: " + Trimmed(PQerrorMessage(conn_)));
  }
  Status status = Ok();
  while (PGresult* raw = PQgetResult(conn_)) {
    ResultPtr result(raw);
    if (status && PQresultStatus(raw) != PGRES_COMMAND_OK) {
      status = tl::unexpected(ResultError(raw, "COPY failed"));
    }
  }
  return status;
}

}  // namespace sluice::sink
