// Server: corelogd's network layer. One io_context and thread per core
// worker; the Kafka listener spreads accepted connections over the cores
// round-robin; each connection reads size-prefixed frames, hands each whole
// frame to the RequestHandler and writes the answers strictly in request
// order. The only translation unit that includes Asio.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker/config.h"
#include "broker/cores.h"
#include "broker/kafka/wire.h"
#include "common/result.h"

namespace corelog::metrics {
class BrokerMetrics;
}

namespace corelog::broker {

// What a request produced: the whole response frame (4-byte size, header,
// body), or nothing (acks=0), or "close the connection".
struct Reply {
  std::string bytes;
  bool send = true;
  bool close = false;
  int16_t error_code = 0;  // the Kafka error the response carries, for metrics
  // Parts of the frame sent from where they are instead of from `bytes`
  // (a fetch's record batches, kafka::Splice), and what holds them alive.
  std::vector<kafka::Splice> splices;
  std::shared_ptr<const void> keep;
  static Reply None() {
    Reply r;
    r.send = false;
    return r;
  }
  static Reply Close() {
    Reply r;
    r.send = false;
    r.close = true;
    return r;
  }
};
using Responder = std::function<void(Reply)>;

// The bytes of one request frame, allocated without being zero-filled: the
// socket read overwrites every byte, and at line rate zeroing them first
// cost as much CPU as copying them.
class RequestFrame {
 public:
  explicit RequestFrame(size_t size)
      : bytes_(std::make_unique_for_overwrite<char[]>(size)), size_(size) {}
  char* data() { return bytes_.get(); }
  const char* data() const { return bytes_.get(); }
  size_t size() const { return size_; }
  std::string_view view() const { return {bytes_.get(), size_}; }

 private:
  std::unique_ptr<char[]> bytes_;
  size_t size_;
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Called on the connection's core with one whole request frame (without
  // its size prefix); `frame` lives until respond is called and is the
  // handler's to rewrite (produce stamps offsets into batches in place, so
  // record bytes are never copied before they reach the WAL). respond must
  // be called exactly once, from any thread.
  virtual void Handle(uint32_t core, std::shared_ptr<RequestFrame> frame,
                      Responder respond) = 0;
};

struct ServerOptions {
  HostPort listen;
  HostPort metrics_listen;
  uint32_t cores = 1;
  uint32_t max_frame_bytes = 100 << 20;
  // Optional: request and connection counts go here; must outlive the Server.
  metrics::BrokerMetrics* metrics = nullptr;
};

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts
// later; call first in main(). WaitForShutdownSignal then takes them with
// sigwait, so a signal sent at any moment after start-up shuts down cleanly.
void BlockShutdownSignals();

class Server {
 public:
  explicit Server(const ServerOptions& options);
  ~Server();

  // Starts the core threads. Cores can run work before the listeners open.
  Cores& cores();
  void StartCores();
  // Binds both listeners (port 0 = ephemeral) and starts accepting.
  Status Listen(RequestHandler* handler);
  HostPort kafka_address() const;
  HostPort metrics_address() const;
  // Marks the broker ready for /readyz.
  void SetReady();
  // What GET /metrics answers; set before Listen.
  void SetMetricsProvider(std::function<std::string()> provider);

  // Blocks until SIGTERM or SIGINT, then stops accepting and lets in-flight
  // requests finish (bounded), and returns.
  void WaitForShutdownSignal();
  // Stops the core threads after the last work posted to them has run.
  void StopCores();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace corelog::broker
