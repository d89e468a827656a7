#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "format/batch.h"
#include "sink/pg_connection.h"

namespace sluice::sink {

// The COPY statement for a batch's events stream in batch format `format` (format/batch.h).
// Thread-safe.
const std::string& EventsCopySql(uint32_t format);

// Loads a batch's aggregate and shed rows, if it has any, in the open transaction of `conn`.
Status CopySummaries(PgConnection& conn, const format::Batch& batch);

}  // namespace sluice::sink
