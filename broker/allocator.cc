// corelogd's allocator settings. corelogd links jemalloc (not in sanitizer
// builds, which bring their own allocator); jemalloc reads this variable at
// start-up. Why jemalloc, and why huge pages: every batch a core stores is
// copied into a RocksDB memtable whose arena is freed after each flush, so
// glibc's malloc hands the next memtable fresh pages and the kernel faults
// and zeroes them 4 KiB at a time (one fault per 4 KiB ingested, ~10% of the
// broker's CPU at 1 KB records, more in recovery replay). jemalloc keeps
// freed memory for reuse, and with transparent huge pages a fault maps 2 MiB.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "thp:always";
}
