// Error codes of the WAL library and their std::error_category. Callers
// tell a poisoned writer from corruption found on open by the code, never by
// parsing messages; the message names the file, offset or core involved.
#pragma once

#include <string>
#include <system_error>

#include "common/result.h"

namespace corelog::wal {

enum class Errc {
  kInvalidArgument = 1,  // bad options, pattern, position or epoch
  kInvalidCore,          // core id outside 0..num_cores-1
  kNotFound,             // no WAL segments where Open() expected them
  kAlreadyExists,        // Create() over a directory that already holds a WAL
  kCorruption,           // damage followed by valid data, broken segment chain
  kTornTail,             // a damaged tail under RecoveryPolicy::kAbsoluteConsistency
  kPoisoned,             // an earlier write or fsync failed; the writer is dead
  kReclaimed,            // a read below the oldest retained position
};

const std::error_category& ErrorCategory();

std::error_code make_error_code(Errc e);

// An Error with a WAL code and a message saying what failed where.
Error MakeError(Errc e, std::string message);

}  // namespace corelog::wal

template <>
struct std::is_error_code_enum<corelog::wal::Errc> : std::true_type {};
