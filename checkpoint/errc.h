// Error codes of the checkpoint library and their std::error_category.
// Messages say which step of which checkpoint failed; callers branch on the
// code only.
#pragma once

#include <string>
#include <system_error>

#include "common/result.h"

namespace corelog::checkpoint {

enum class Errc {
  kInvalidArgument = 1,  // bad options or an impossible manifest position
  kBadManifest,          // the stored manifest cannot be decoded
  kTimeout,              // a core did not report its barrier in time
  kStopped,              // the checkpointer stopped while a checkpoint ran
  kStore,                // RocksDB refused a write or a flush
  kInjected,             // a test's fault seam failed the step
  kMissingWal,           // the manifest needs WAL the data directory lacks
};

const std::error_category& ErrorCategory();

std::error_code make_error_code(Errc e);

Error MakeError(Errc e, std::string message);

}  // namespace corelog::checkpoint

template <>
struct std::is_error_code_enum<corelog::checkpoint::Errc> : std::true_type {};
