// Names the calling thread, as `top -H`, perf and gdb show it. Linux keeps
// 15 characters; longer names are cut.
#pragma once

#include <pthread.h>

#include <string>

namespace corelog {

inline void SetThreadName(const std::string& name) {
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace corelog
