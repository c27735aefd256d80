// HttpServer: the operator endpoint on --metrics-listen, on a thread of its
// own so a slow scraper never touches a core worker. GET /metrics (the
// Prometheus text from the metrics provider), GET /healthz (200 while the
// process serves), GET /readyz (200 once recovery is done and the Kafka
// listener accepts, 503 before). Other paths 404, other methods 405; every
// connection has a read/write timeout.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "broker/config.h"
#include "common/result.h"

namespace corelog::broker {

class HttpServer {
 public:
  using MetricsProvider = std::function<std::string()>;

  explicit HttpServer(HostPort listen);
  ~HttpServer();

  void SetMetricsProvider(MetricsProvider provider);
  Status Start();
  void Stop();
  void SetReady(bool ready) { ready_.store(ready); }
  HostPort address() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> ready_{false};
};

}  // namespace corelog::broker
