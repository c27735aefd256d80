// Appending with O_DIRECT: the POSIX file system's writable file when
// Options::direct_io is set (see PosixDirectFileSystem in file_system.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "wal/file_system.h"

namespace corelog::wal {

// Takes over `fd`, open for writing on a file whose first `size` bytes are
// its content, and appends after them with O_DIRECT (an error closes `fd`).
// Returns nullptr, with `fd` still the caller's, when the file system
// refuses O_DIRECT; the caller then appends through the page cache.
Result<std::unique_ptr<WritableFile>> OpenDirectWritable(int fd, const std::string& path,
                                                         uint64_t size);

}  // namespace corelog::wal
