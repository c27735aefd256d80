// The one table of Kafka APIs corelog speaks: key, name, advertised version
// range and first flexible version. The same table drives request dispatch
// (IsSupported), header selection (IsFlexible) and the ApiVersions answer, so
// what we advertise and what we accept cannot drift apart. Ranges are the
// "Advertise" column of /work/shared/design/KAFKA.md §1; minimum versions are
// kept low on purpose (librdkafka silently disables features otherwise).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

namespace corelog::kafka {

enum class ApiKey : int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kMetadata = 3,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kDescribeGroups = 15,
  kListGroups = 16,
  kApiVersions = 18,
  kCreateTopics = 19,
  kDeleteTopics = 20,
  kDeleteRecords = 21,
  kInitProducerId = 22,
  kDescribeConfigs = 32,
  kAlterConfigs = 33,
  kCreatePartitions = 37,
  kDeleteGroups = 42,
  kOffsetDelete = 47,
};

// Which feature an API belongs to, so the broker can advertise only the
// families it has implemented.
enum class ApiFamily : uint8_t {
  kCore,           // ApiVersions, Metadata, Produce, Fetch, ListOffsets, topic admin
  kConsumerGroup,  // coordinator, membership and committed offsets
  kIdempotence,    // InitProducerId
  kAdmin,          // CreatePartitions, DeleteRecords, AlterConfigs
};

inline constexpr int16_t kNeverFlexible = INT16_MAX;

struct ApiInfo {
  ApiKey key;
  std::string_view name;
  int16_t min_version;
  int16_t max_version;
  int16_t first_flexible_version;  // kNeverFlexible when no supported version is
  ApiFamily family;
};

// Every API in the table, ordered by key.
std::span<const ApiInfo> AllApis();

// The entry for `key`, or nullptr when corelog does not know that API.
const ApiInfo* FindApi(int16_t key);
inline const ApiInfo* FindApi(ApiKey key) { return FindApi(static_cast<int16_t>(key)); }

// True when `key` is in the table and `version` within its range.
bool IsSupported(int16_t key, int16_t version);

// True when (key, version) uses the flexible encoding (compact strings and
// arrays, tagged fields, request header v2). Meaningful for any version,
// including ones above our max, since a client may send those.
bool IsFlexible(int16_t key, int16_t version);

// The API's name, or "Unknown" for a key not in the table.
std::string_view ApiName(int16_t key);

// Chooses the subset of the table to advertise; an empty filter means all.
using ApiFilter = std::function<bool(const ApiInfo&)>;

}  // namespace corelog::kafka
