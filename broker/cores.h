// Cores: the broker's view of its core workers, free of Asio so that request
// handling compiles without the network headers. Each core is one thread
// running one event loop; work reaches another core only through Post.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace corelog::broker {

// A one-shot timer; Cancel() before it fires means its callback never runs.
// Must be cancelled on the core that started it.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void Cancel() = 0;
};

class Cores {
 public:
  virtual ~Cores() = default;
  virtual uint32_t size() const = 0;
  // Runs fn on core `core`'s thread. Safe from any thread.
  virtual void Post(uint32_t core, std::function<void()> fn) = 0;
  // Runs fn on core `core` after `delay` unless cancelled first.
  virtual std::unique_ptr<Timer> StartTimer(uint32_t core, std::chrono::milliseconds delay,
                                            std::function<void()> fn) = 0;
  // The core whose thread is calling, or -1 for other threads.
  virtual int CurrentCore() const = 0;
};

// The core that owns a partition: a stable hash of (topic, partition) so the
// same partition lands on the same core on every start with the same count.
uint32_t OwnerCore(const std::string& topic, int32_t partition, uint32_t num_cores);

// The core that owns a consumer group (stable hash of the group id).
uint32_t GroupCore(const std::string& group, uint32_t num_cores);

}  // namespace corelog::broker
