#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

#include "common/status.h"

namespace sluice::sink {

// One libpq connection. Not thread-safe: owned by one thread, except Cancel(), which any
// thread may call to cancel the statement in progress.
class PgConnection {
 public:
  // Connects with `conninfo` (a libpq conninfo string or URI; "" uses the PG* environment,
  // service and password files). Unless the conninfo says otherwise, application_name is
  // `application_name` and connect_timeout is 5 s. Failure is kUnavailable.
  static Result<std::unique_ptr<PgConnection>> Connect(const std::string& conninfo,
                                                       const std::string& application_name);
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
  // Runs one statement with text-format parameters $1, $2, ... (nullptr is NULL).
  Status ExecParams(const std::string& sql, const std::vector<const char*>& params);
  // Runs `copy_sql` (a COPY ... FROM STDIN) and sends `data` as its input.
  Status CopyIn(std::string_view copy_sql, std::string_view data);
  // Asks the server to cancel the running statement. Thread-safe.
  void Cancel();
  // False once the connection is known to be broken.
  bool ok() const;
  // The SQLSTATE of the last statement that failed with one ("" if it had none).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  PGconn* raw() { return conn_; }

 private:
  explicit PgConnection(PGconn* conn);
  // Turns a failed result into an Error and clears it.
  Error ResultError(PGresult* result, std::string_view what);

  PGconn* conn_;
  PGcancel* cancel_;
  std::string last_sqlstate_;
};

}  // namespace sluice::sink
