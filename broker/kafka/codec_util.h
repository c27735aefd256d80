// Helpers shared by the messages_*.cc codecs; not part of the public API.
#pragma once

#include <cstdint>
#include <string>

#include "broker/kafka/api.h"
#include "broker/kafka/errors.h"
#include "broker/kafka/wire.h"
#include "common/check.h"
#include "common/result.h"

namespace corelog::kafka::internal {

// Fails Decode for a version outside the message's codec range.
template <class T>
Status CheckDecodeVersion(int16_t version) {
  if (version >= T::kMinVersion && version <= T::kMaxVersion) return Ok();
  return MakeError(ErrorCode::kUnsupportedVersion,
                   std::string(ApiName(static_cast<int16_t>(T::kApiKey))) + " v" +
                       std::to_string(version) + " is not supported");
}

// Encoding a version we have no layout for is a caller bug.
template <class T>
void CheckEncodeVersion(int16_t version) {
  CORELOG_CHECK(version >= T::kMinVersion && version <= T::kMaxVersion,
                "encoding an unsupported message version");
}

template <class T>
bool Flexible(int16_t version) {
  return IsFlexible(static_cast<int16_t>(T::kApiKey), version);
}

inline ErrorCode ReadErrorCode(Reader& r) { return static_cast<ErrorCode>(r.Int16()); }
inline void WriteErrorCode(Writer& w, ErrorCode e) { w.Int16(static_cast<int16_t>(e)); }

// Finishes a Decode: the message, or the reader's first error.
template <class T>
Result<T> Finish(Reader& r, T message) {
  CORELOG_TRY(r.status());
  return message;
}

}  // namespace corelog::kafka::internal
