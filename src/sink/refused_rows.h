#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "format/batch.h"
#include "sink/pg_connection.h"
#include "sink/write_outcome.h"

namespace sluice::sink {

// Loads a batch the database refused for its content in one transaction with its ledger row
// (`rows` = rows stored), finding the refused rows by bisection, each range under a savepoint,
// and putting each refused row in sluice.dead_letters with the server's error. A batch whose
// COPY stream cannot be split is set aside whole (row_in_batch -1). When setting aside is
// refused too, nothing is committed and every row is counted `lost`.
// Not thread-safe: used by the writer thread that owns `conn`. Its arguments must outlive it.
class RefusedRowWriter {
 public:
  // `instance_literal` is `instance_id` quoted as an SQL literal.
  RefusedRowWriter(PgConnection& conn, const std::string& instance_id,
                   const std::string& instance_literal);

  // kUnavailable: retry later; nothing was committed.
  Result<IsolatedWrite> Write(const format::Batch& batch);

 private:
  // Loads tuples [begin, end) of a batch under a savepoint; on refusal, halves the range
  // until single rows remain and sets those aside. Errors other than refusals end it.
  Status LoadOrBisect(const format::Batch& batch, const std::vector<std::string_view>& tuples,
                      size_t begin, size_t end, IsolatedWrite& result);
  // Inserts one refused row (or, with row -1, a whole unsplittable batch) into
  // sluice.dead_letters under a savepoint; counts it as lost if that is refused too.
  Status SetAside(const format::Batch& batch, int64_t row, std::string_view tuple, uint32_t rows,
                  uint32_t malformed, const std::string& error, IsolatedWrite& result);

  PgConnection& conn_;
  const std::string& instance_id_;
  const std::string& instance_literal_;
};

}  // namespace sluice::sink
