#pragma once

#include <string>

#include "common/file_position.h"

namespace sluice::format {

// How far a followed log file has gone into batches: every line of `source` before `at` is in
// the batch that carries this mark or in an earlier one, and no later line is. Kept with the
// batch in the spool, it is where following resumes after a restart. Value type.
struct SourceMark {
  std::string source;  // the file's path, as configured
  FilePosition at;

  bool operator==(const SourceMark&) const = default;
};

}  // namespace sluice::format
