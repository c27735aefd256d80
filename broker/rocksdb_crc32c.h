// RocksDB's CRC-32C, taken over by corelog's hardware implementation.
//
// Debian's librocksdb is built portable, without SSE4.2, so its
// rocksdb::crc32c::Extend runs a table loop at about 1.3 GB/s on these
// machines against 9 GB/s with the crc32 instruction. RocksDB checksums
// every blob record as a flush writes it and as a fetch reads it, which made
// this loop a fifth to a third of the broker's CPU at full ingest.
//
// librocksdb calls crc32c::Extend through its procedure linkage table, and
// the dynamic linker binds such calls to the first definition in the
// program's lookup order: the executable's. rocksdb_crc32c.cc defines the
// symbol with the same signature and the same function (CRC-32C, standard
// pre- and post-inversion), so RocksDB reads and writes exactly the
// checksums it did before, only faster. tests/broker/rocksdb_crc32c_test.cc
// compares it with librocksdb's own definition and checks that the binding
// is in effect.
#pragma once

namespace corelog::broker {

// How RocksDB's checksums are computed on this CPU (crc32c::Name).
// RecordStore::Open logs it, which also keeps the definition linked into
// every program that opens the store.
const char* RocksDbCrc32cMethod();

}  // namespace corelog::broker
