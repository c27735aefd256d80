// corelogd: the corelog broker process. Parses the configuration, recovers
// storage, opens the listeners, prints one ready line on stdout, and runs
// until SIGTERM/SIGINT, when it stops accepting, lets in-flight requests
// finish, syncs the WAL and exits 0. Bad flags or configuration exit 2.
#include <cstdio>
#include <exception>

#include "broker/broker_metrics.h"
#include "broker/config.h"
#include "broker/group_coordinator.h"
#include "broker/kafka_handler.h"
#include "broker/server.h"
#include "broker/storage.h"
#include "common/log.h"

namespace corelog::broker {
namespace {

log::Level LevelFromName(const std::string& name) {
  if (name == "debug") return log::Level::kDebug;
  if (name == "warn") return log::Level::kWarn;
  if (name == "error") return log::Level::kError;
  return log::Level::kInfo;
}

int Run(Config config) {
  log::SetMinLevel(LevelFromName(config.log_level));
  // Outlive the server (whose HTTP thread scrapes them) and the WAL.
  auto metrics = NewBrokerMetrics(config.cores);
  WalMetricsObserver wal_observer(metrics.get());
  Server server(ServerOptions{config.listen, config.metrics_listen, config.cores,
                              static_cast<uint32_t>(config.socket_request_max_bytes),
                              metrics.get()});
  server.SetMetricsProvider([m = metrics.get()] { return m->Serialize(); });
  server.StartCores();
  Storage storage(config, &server.cores());
  storage.SetSyncObserver(&wal_observer);
  if (auto st = storage.Recover(); !st) {
    LOG_ERROR("recovery failed: " << st.error().message());
    server.StopCores();
    return 1;
  }
  GroupCoordinator groups(&storage, &server.cores(),
                          std::chrono::milliseconds(config.group_initial_rebalance_delay_ms));
  if (auto st = groups.Load(); !st) {
    LOG_ERROR("loading consumer groups failed: " << st.error().message());
    server.StopCores();
    return 1;
  }
  storage.topics().SetMetrics(metrics.get());
  ConnectMetrics(*metrics, storage, groups);
  KafkaHandler handler(&storage, &server.cores(), &groups);
  if (auto st = server.Listen(&handler); !st) {
    LOG_ERROR(st.error().message());
    server.StopCores();
    return 1;
  }
  storage.StartBackground();
  HostPort bound = server.kafka_address();
  handler.SetAdvertised(config.advertised_listener.host.empty() ? bound
                                                                : config.advertised_listener);
  server.SetReady();
  LOG_INFO("corelogd serving Kafka on " << bound.ToString() << " with " << config.cores
                                        << " cores, data in " << config.data_dir);
  std::printf("corelogd ready kafka=%s metrics=%s\n", bound.ToString().c_str(),
              server.metrics_address().ToString().c_str());
  std::fflush(stdout);

  server.WaitForShutdownSignal();
  storage.StopBackground();
  int code = 0;
  if (auto st = storage.SyncAll(); !st) {
    LOG_ERROR("final WAL sync failed: " << st.error().message());
    code = 1;
  }
  server.StopCores();
  LOG_INFO("corelogd stopped");
  return code;
}

}  // namespace
}  // namespace corelog::broker

int main(int argc, char** argv) {
  using namespace corelog::broker;
  BlockShutdownSignals();
  auto parsed = ParseCommandLine(argc, argv);
  if (!parsed) {
    std::fprintf(stderr, "corelogd: %s\nRun 'corelogd --help' for the options.\n",
                 parsed.error().message().c_str());
    return 2;
  }
  if (auto* help = std::get_if<HelpRequested>(&*parsed)) {
    std::fputs(help->text.c_str(), stdout);
    return 0;
  }
  try {
    return Run(std::get<Config>(std::move(*parsed)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "corelogd: fatal: %s\n", e.what());
    return 1;
  }
}
