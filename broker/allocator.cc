// corelogd's allocator settings. corelogd links jemalloc (not in sanitizer
// builds, which bring their own allocator); jemalloc reads this variable at
// start-up. Why jemalloc: every request frame (up to a megabyte for a
// produce request) is allocated when it arrives and freed once answered, and
// RocksDB's memtable arenas come and go with each flush. jemalloc keeps freed
// memory for reuse instead of having the kernel fault and zero fresh pages
// again.
//
// Why no transparent huge pages on jemalloc's memory: with them the kernel's
// khugepaged folds any 2 MiB range that has a single page in use into a
// whole resident huge page, so the resident set creeps up for as long as the
// broker runs (a 10-minute soak: 34 to 60 MB, while jemalloc's own resident
// count stayed at 22 MB). Without them the same soak stays at 27-35 MB, and
// interleaved runs show no CPU cost (docs/performance.md). "never" rather
// than the system default, so a host with THP "always" behaves the same.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "thp:never";
}
