#pragma once

#include "format/event_row.h"

namespace sluice::pipeline {

// Where a built row goes, the same for datagrams, followed files and `sluice import`.
enum class RowRoute {
  kFloodLadder,  // a well-formed reject: the flood ladder keeps it as a detail row or counts it
  kDetail,       // kept by ingest.keep ("all": every line; malformed lines always)
  kIgnore,       // not a reject under ingest.keep = "rejects": counted as ignored
};

// `keep_all`: ingest.keep is "all". Stateless.
inline RowRoute RouteOf(const format::EventRow& row, bool keep_all) {
  if (row.is_reject == true && !row.malformed) return RowRoute::kFloodLadder;
  if (keep_all || row.malformed) return RowRoute::kDetail;
  return RowRoute::kIgnore;
}

}  // namespace sluice::pipeline
