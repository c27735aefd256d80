// CORELOG_CHECK: aborts with a message when an invariant the code relies on
// is broken. Not for expected failures (those return a Result).
#pragma once

#include <cstdio>
#include <cstdlib>

#define CORELOG_CHECK(cond, msg)                                                    \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "corelog: check failed at %s:%d: %s (%s)\n", __FILE__, \
                   __LINE__, #cond, msg);                                           \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
