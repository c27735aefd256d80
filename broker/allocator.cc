// corelogd's allocator settings. corelogd links jemalloc (not in sanitizer
// builds, which bring their own allocator); jemalloc reads this variable at
// start-up. Why jemalloc, and why huge pages: every request frame (up to a
// megabyte for a produce request) is allocated when it arrives and freed
// once answered, and RocksDB's memtable arenas come and go with each flush.
// jemalloc keeps freed memory for reuse instead of having the kernel fault
// and zero fresh pages again, and with transparent huge pages a fault maps
// 2 MiB, not 4 KiB.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "thp:always";
}
