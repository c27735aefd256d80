#include "broker/rocksdb_crc32c.h"

#include <cstddef>
#include <cstdint>

#include "common/crc32c.h"

// The exact declaration librocksdb 7.x exports (util/crc32c.h in RocksDB's
// source): the CRC-32C of `data` appended to a message whose CRC-32C is
// `init_crc`. A different signature would mangle to a different name and
// simply not replace anything.
namespace rocksdb::crc32c {
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);

uint32_t Extend(uint32_t init_crc, const char* data, size_t n) {
  return corelog::crc32c::Extend(init_crc, data, n);
}
}  // namespace rocksdb::crc32c

namespace corelog::broker {

const char* RocksDbCrc32cMethod() { return crc32c::Name(crc32c::Fastest()); }

}  // namespace corelog::broker
