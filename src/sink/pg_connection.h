#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

#include "common/heartbeat.h"
#include "common/status.h"

namespace sluice::sink {

// One libpq connection. Not thread-safe: owned by one thread, except Cancel() and Abort(),
// which any thread may call.
class PgConnection {
 public:
  // Connects with `conninfo` (a libpq conninfo string or URI; "" uses the PG* environment,
  // service and password files). Unless the conninfo says otherwise: application_name is
  // `application_name`, connect_timeout 5 s, client_encoding UTF8, TCP keepalives after 10 s
  // idle (every 5 s, 3 tries) and tcp_user_timeout 30 s, so that a peer gone without a word
  // is noticed. The startup packet carries nothing a transaction-pooling PgBouncer refuses, and
  // no statement relies on session state, so the connection may be one through PgBouncer.
  // With a `statement_timeout` above zero, the server cancels a statement of a transaction begun
  // with BeginSql() that runs longer, and the client gives up on any statement whose answer does
  // not come 1 s after that (a server that hangs, or is stopped, cannot cancel anything):
  // kUnavailable, the connection closed. Failure to connect is kUnavailable.
  static Result<std::unique_ptr<PgConnection>> Connect(
      const std::string& conninfo, const std::string& application_name,
      std::chrono::milliseconds statement_timeout = std::chrono::milliseconds(0));
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one or more SQL statements without parameters; the result of the last one.
  // Errors, as sink/sqlstate_policy.h decides: kRejected when the server refused the rows for
  // their content (a data error); kUnavailable for every other failure (the connection is
  // lost, the server is read-only, shutting down or out of resources, a privilege or a table
  // is missing), with a hint for the operator in the message.
  Result<std::string> ExecScalar(std::string_view sql);
  // Like ExecScalar, but the first column of every row.
  Result<std::vector<std::string>> ExecColumn(std::string_view sql);
  Status Exec(std::string_view sql);
  // Like ExecScalar, but `sql` runs in a transaction of its own (committed when it succeeds)
  // whose statements the server and this client allow `timeout` instead of the connection's
  // statement timeout: for work known to take long, such as indexing a closed day.
  Result<std::string> ExecScalarWithTimeout(std::string_view sql,
                                            std::chrono::milliseconds timeout);
  // Runs one statement with text-format parameters $1, $2, ... (nullptr is NULL).
  Status ExecParams(const std::string& sql, const std::vector<const char*>& params);
  // Runs `copy_sql` (a COPY ... FROM STDIN) and sends `data` as its input.
  Status CopyIn(std::string_view copy_sql, std::string_view data);
  // "BEGIN; " and, with a statement timeout, "SET LOCAL statement_timeout = N; ": what opens a
  // transaction whose statements the server cancels after the timeout.
  std::string BeginSql() const;
  // `text` as an SQL string literal, quoted and escaped by libpq for this connection
  // (PQescapeLiteral); "'?'" should libpq fail (out of memory).
  std::string Literal(std::string_view text) const;
  // Asks the server to cancel the running statement. Thread-safe.
  void Cancel();
  // Makes the statement in progress, and every later one, fail at once (kUnavailable) without
  // waiting for the server: for shutting down past a server that does not answer. Thread-safe.
  void Abort();
  // Beats `heartbeat` (null: none) every 100 ms while a statement waits for the server, so
  // that a writer waiting within its deadline is never taken for a stuck one. `heartbeat`
  // must outlive this.
  void set_heartbeat(Heartbeat* heartbeat) { heartbeat_ = heartbeat; }
  // False once the connection is known to be broken.
  bool ok() const;
  // The SQLSTATE of the last statement that failed with one ("" if it had none).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  PGconn* raw() { return conn_; }

 private:
  PgConnection(PGconn* conn, std::chrono::milliseconds statement_timeout);
  // Turns a failed result into an Error and clears it.
  Error ResultError(PGresult* result, std::string_view what);
  // Waits until the socket is readable (or writable), the statement's deadline passes or
  // Abort() is called. kUnavailable (and the connection closed) in the last two cases.
  Status WaitForSocket(bool write, std::chrono::steady_clock::time_point deadline);
  // The next result of the statement sent (nullptr when there are no more), within
  // `deadline`; kUnavailable when it does not come.
  Result<PGresult*> NextResult(std::chrono::steady_clock::time_point deadline);
  // Reads every result of the statement sent: the first column of the last one's rows, or
  // the first error (`what` prefixes its message).
  Result<std::vector<std::string>> CollectResults(std::string_view what);
  // When a statement sent now must have been answered.
  std::chrono::steady_clock::time_point Deadline() const;
  // Fails the connection for good: the server is not answering.
  Error GiveUp(std::string_view why);

  PGconn* conn_;
  PGcancel* cancel_;
  const std::chrono::milliseconds statement_timeout_;
  std::chrono::milliseconds timeout_override_{0};  // > 0 during ExecScalarWithTimeout
  std::atomic<bool> aborted_{false};
  std::string last_sqlstate_;
  Heartbeat* heartbeat_ = nullptr;
};

}  // namespace sluice::sink
