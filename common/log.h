// Minimal logging to stderr: one line per message, with a level and a UTC
// timestamp. Thread-safe (each line is written with a single write call).
#pragma once

#include <sstream>
#include <string_view>

namespace corelog::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void Write(Level level, std::string_view message);
void SetMinLevel(Level level);
bool Enabled(Level level);

}  // namespace corelog::log

#define CORELOG_LOG(level, expr)                                 \
  do {                                                           \
    if (::corelog::log::Enabled(level)) {                        \
      std::ostringstream corelog_log_os_;                        \
      corelog_log_os_ << expr;                                   \
      ::corelog::log::Write(level, corelog_log_os_.str());       \
    }                                                            \
  } while (0)
#define LOG_DEBUG(expr) CORELOG_LOG(::corelog::log::Level::kDebug, expr)
#define LOG_INFO(expr) CORELOG_LOG(::corelog::log::Level::kInfo, expr)
#define LOG_WARN(expr) CORELOG_LOG(::corelog::log::Level::kWarn, expr)
#define LOG_ERROR(expr) CORELOG_LOG(::corelog::log::Level::kError, expr)
