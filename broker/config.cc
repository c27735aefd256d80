#include "broker/config.h"

#include <boost/program_options.hpp>

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

namespace corelog::broker {
namespace po = boost::program_options;
namespace {

Error BadConfig(const std::string& message) {
  return Error(std::make_error_code(std::errc::invalid_argument), message);
}

template <class T>
Result<T> ParseInt(const std::string& key, const std::string& value, T min, T max) {
  // Parsed wide first so an out-of-range value says so, not "not an integer".
  using Wide = std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>;
  Wide out{};
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec == std::errc::result_out_of_range) {
    return BadConfig(key + ": " + value + " is out of range");
  }
  if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
    return BadConfig(key + ": '" + value + "' is not an integer");
  }
  if (out < static_cast<Wide>(min) || out > static_cast<Wide>(max)) {
    return BadConfig(key + ": " + value + " is out of range [" + std::to_string(min) + ", " +
                     std::to_string(max) + "]");
  }
  return static_cast<T>(out);
}

Result<bool> ParseBool(const std::string& key, const std::string& value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return BadConfig(key + ": '" + value + "' is not true or false");
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

using Setter = std::function<Status(Config&, const std::string& key, const std::string& value)>;

template <class T, class Field>
Setter IntSetter(Field field, T min, T max) {
  return [field, min, max](Config& c, const std::string& k, const std::string& v) -> Status {
    CORELOG_ASSIGN_OR_RETURN(c.*field, ParseInt<T>(k, v, min, max));
    return Ok();
  };
}

Setter HostPortSetter(HostPort Config::*field) {
  return [field](Config& c, const std::string& k, const std::string& v) -> Status {
    auto hp = ParseHostPort(v);
    if (!hp) return BadConfig(k + ": " + hp.error().message());
    c.*field = *hp;
    return Ok();
  };
}

// The one table of keys. Flags are aliases for these keys.
const std::map<std::string, Setter>& Keys() {
  static const std::map<std::string, Setter> keys = {
      {"listeners", HostPortSetter(&Config::listen)},
      {"advertised.listeners", HostPortSetter(&Config::advertised_listener)},
      {"metrics.listen", HostPortSetter(&Config::metrics_listen)},
      {"log.dirs",
       [](Config& c, const std::string& k, const std::string& v) -> Status {
         if (v.empty()) return BadConfig(k + ": empty directory");
         c.data_dir = v;
         return Ok();
       }},
      {"num.cores", IntSetter<uint32_t>(&Config::cores, 1, 256)},
      {"num.partitions", IntSetter<int32_t>(&Config::num_partitions, 1, 100000)},
      {"checkpoint.interval.ms",
       IntSetter<int64_t>(&Config::checkpoint_interval_ms, 10, 24ll * 3600 * 1000)},
      {"checkpoint.bytes.threshold",
       IntSetter<uint64_t>(&Config::checkpoint_bytes_threshold, 0, 1ull << 40)},
      {"wal.segment.bytes", IntSetter<uint64_t>(&Config::wal_segment_bytes, 4096, 1ull << 40)},
      {"wal.tail.cache.bytes",
       IntSetter<uint64_t>(&Config::wal_tail_cache_bytes, 0, 1ull << 40)},
      {"wal.spare.segments", IntSetter<uint32_t>(&Config::wal_spare_segments, 0, 1024)},
      {"wal.direct.io",
       [](Config& c, const std::string& k, const std::string& v) -> Status {
         CORELOG_ASSIGN_OR_RETURN(c.wal_direct_io, ParseBool(k, v));
         return Ok();
       }},
      {"auto.create.topics.enable",
       [](Config& c, const std::string& k, const std::string& v) -> Status {
         CORELOG_ASSIGN_OR_RETURN(c.auto_create_topics, ParseBool(k, v));
         return Ok();
       }},
      {"group.initial.rebalance.delay.ms",
       IntSetter<int32_t>(&Config::group_initial_rebalance_delay_ms, 0, 300000)},
      {"message.max.bytes", IntSetter<int32_t>(&Config::message_max_bytes, 64, INT32_MAX)},
      {"socket.request.max.bytes",
       IntSetter<int32_t>(&Config::socket_request_max_bytes, 1024, INT32_MAX)},
      {"node.id", IntSetter<int32_t>(&Config::node_id, 0, INT32_MAX)},
      {"log.retention.ms", IntSetter<int64_t>(&Config::log_retention_ms, -1, INT64_MAX)},
      {"log.retention.bytes", IntSetter<int64_t>(&Config::log_retention_bytes, -1, INT64_MAX)},
      {"log.retention.check.interval.ms",
       IntSetter<int64_t>(&Config::log_retention_check_interval_ms, 10, INT64_MAX)},
      {"wal.recovery.policy",
       [](Config& c, const std::string& k, const std::string& v) -> Status {
         if (v != "tolerate-torn-tail" && v != "salvage" && v != "absolute-consistency") {
           return BadConfig(k + ": '" + v +
                            "' is not one of tolerate-torn-tail, salvage, absolute-consistency");
         }
         c.wal_recovery_policy = v;
         return Ok();
       }},
      {"log.level",
       [](Config& c, const std::string& k, const std::string& v) -> Status {
         if (v != "debug" && v != "info" && v != "warn" && v != "error") {
           return BadConfig(k + ": '" + v + "' is not one of debug, info, warn, error");
         }
         c.log_level = v;
         return Ok();
       }},
  };
  return keys;
}

// Kafka spellings accepted as synonyms of the keys above.
std::string CanonicalKey(const std::string& key) {
  static const std::map<std::string, std::string> aliases = {
      {"listen", "listeners"},       {"broker.id", "node.id"},
      {"log.dir", "log.dirs"},       {"data.dir", "log.dirs"},
      {"advertised.listener", "advertised.listeners"}};
  auto it = aliases.find(key);
  return it == aliases.end() ? key : it->second;
}

// Command-line flags and the key each one sets.
struct Flag {
  const char* name;
  const char* key;
  const char* help;
};
constexpr Flag kFlags[] = {
    {"listen", "listeners", "Kafka listener HOST:PORT (default 127.0.0.1:9092; port 0 = any)"},
    {"advertised-listener", "advertised.listeners",
     "HOST:PORT given to clients in Metadata (default: the bound listen address)"},
    {"metrics-listen", "metrics.listen", "HTTP metrics/health HOST:PORT (default 127.0.0.1:9644)"},
    {"data-dir", "log.dirs", "data directory (default ./data)"},
    {"cores", "num.cores", "core workers (default: CPU count)"},
    {"num-partitions", "num.partitions", "partitions of auto-created topics (default 1)"},
    {"checkpoint-interval-ms", "checkpoint.interval.ms", "checkpoint interval (default 1000)"},
    {"checkpoint-bytes-threshold", "checkpoint.bytes.threshold",
     "checkpoint early when a core's WAL grew this much (default 256 MiB; 0 = off)"},
    {"wal-segment-bytes", "wal.segment.bytes", "WAL segment size limit (default 128 MiB)"},
};

}  // namespace

Result<HostPort> ParseHostPort(const std::string& text) {
  std::string s = text;
  if (auto scheme = s.find("://"); scheme != std::string::npos) s = s.substr(scheme + 3);
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return BadConfig("'" + text + "' is not HOST:PORT");
  }
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  CORELOG_ASSIGN_OR_RETURN(uint16_t port, ParseInt<uint16_t>(text, s.substr(colon + 1), 0, 65535));
  return HostPort{host, port};
}

Status Config::Set(const std::string& raw_key, const std::string& value) {
  std::string key = CanonicalKey(raw_key);
  auto it = Keys().find(key);
  if (it == Keys().end()) return BadConfig("unknown configuration key '" + raw_key + "'");
  return it->second(*this, key, value);
}

Status Config::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return BadConfig("cannot read config file " + path);
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) {
      return BadConfig(path + ":" + std::to_string(lineno) + ": expected key=value");
    }
    auto st = Set(Trim(line.substr(0, eq)), Trim(line.substr(eq + 1)));
    if (!st) return st.error().Wrap(path + ":" + std::to_string(lineno));
  }
  return Ok();
}

Status Config::Finish() {
  if (cores == 0) cores = std::max(1u, std::thread::hardware_concurrency());
  if (listen.host.empty()) return BadConfig("listeners: empty host");
  return Ok();
}

Result<CommandLine> ParseCommandLine(int argc, const char* const* argv) {
  po::options_description desc("corelogd options");
  desc.add_options()("help,h", "show this help")(
      "config", po::value<std::string>(), "Kafka-style properties file (key=value lines)");
  for (const Flag& f : kFlags) desc.add_options()(f.name, po::value<std::string>(), f.help);
  desc.add_options()("override,o", po::value<std::vector<std::string>>()->composing(),
                     "set any configuration key: --override key=value (repeatable)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
  } catch (const po::error& e) {
    return BadConfig(e.what());
  }
  if (vm.count("help")) {
    std::ostringstream os;
    os << "usage: corelogd [options]\n\n" << desc;
    return CommandLine(HelpRequested{os.str()});
  }
  Config config;
  if (vm.count("config")) CORELOG_TRY(config.LoadFile(vm["config"].as<std::string>()));
  for (const Flag& f : kFlags) {
    if (!vm.count(f.name)) continue;
    auto st = config.Set(f.key, vm[f.name].as<std::string>());
    if (!st) return st.error().Wrap(std::string("--") + f.name);
  }
  if (vm.count("override")) {
    for (const auto& kv : vm["override"].as<std::vector<std::string>>()) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) return BadConfig("--override: expected key=value, got '" + kv + "'");
      CORELOG_TRY(config.Set(Trim(kv.substr(0, eq)), Trim(kv.substr(eq + 1))));
    }
  }
  CORELOG_TRY(config.Finish());
  return CommandLine(std::move(config));
}

}  // namespace corelog::broker
