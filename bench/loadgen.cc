// loadgen: a Kafka load generator on librdkafka's C API, the same client and
// settings for corelogd and for librdkafka's mock cluster (PERF.md, "Peers").
//
//   loadgen produce --bootstrap=H:P --topic=T --count=N --size=S
//           [--acks=all|1|0] [--linger-ms=5] [--batch-bytes=1000000]
//           [--rate=MSGS_PER_S] [--create-partitions=P] [--max-in-flight=N]
//       N keyless records of S bytes, uncompressed, non-idempotent, spread
//       round-robin over the partitions. Latency
//       is librdkafka's own per-message figure: produce() call to the ack's
//       arrival on its broker thread (rd_kafka_message_latency). --rate paces
//       the calls, one record each; without it the producer runs flat out,
//       handing librdkafka 256 records of one partition per call.
//   loadgen consume --bootstrap=H:P --topic=T --count=N [--idle-s=20]
//       a fresh consumer (no group: every partition from its beginning)
//       reading until it has N records.
//   --topics=K (both modes) spreads the records round-robin over the topics
//       T-0 .. T-(K-1): the mock cluster keeps only ~5 MB per partition, so
//       a data set it can serve back whole needs many partitions.
//
// Prints one line "result mode=... key=value ..."; exit 1 on any error. A
// paced produce run's line ends with librdkafka's own means for the
// connection (its statistics, read once a second): queue_us from produce()
// until the record is in a request, outbuf_us until that request is sent,
// rtt_us until its response arrives.
#include <boost/json.hpp>
#include <librdkafka/rdkafka.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Flags {
  std::string mode, bootstrap, topic, acks = "all";
  uint64_t count = 100000;
  size_t size = 1024;
  int linger_ms = 5;
  int max_in_flight = 1000000;  // librdkafka's default
  int batch_bytes = 1000000;
  int create_partitions = 0;
  double rate = 0;
  int idle_s = 20;
  int topics = 1;

  std::vector<std::string> TopicNames() const {
    if (topics <= 1) return {topic};
    std::vector<std::string> names;
    for (int i = 0; i < topics; ++i) names.push_back(topic + "-" + std::to_string(i));
    return names;
  }
};

const char* Value(const char* arg, const char* name) {
  size_t n = std::strlen(name);
  if (std::strncmp(arg, "--", 2) != 0 || std::strncmp(arg + 2, name, n) != 0 || arg[2 + n] != '=') {
    return nullptr;
  }
  return arg + 3 + n;
}

Flags Parse(int argc, char** argv) {
  Flags f;
  if (argc > 1) f.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    if (auto v = Value(argv[i], "bootstrap")) f.bootstrap = v;
    else if (auto v = Value(argv[i], "topic")) f.topic = v;
    else if (auto v = Value(argv[i], "acks")) f.acks = v;
    else if (auto v = Value(argv[i], "count")) f.count = std::strtoull(v, nullptr, 10);
    else if (auto v = Value(argv[i], "size")) f.size = std::strtoull(v, nullptr, 10);
    else if (auto v = Value(argv[i], "linger-ms")) f.linger_ms = std::atoi(v);
    else if (auto v = Value(argv[i], "batch-bytes")) f.batch_bytes = std::atoi(v);
    else if (auto v = Value(argv[i], "max-in-flight")) f.max_in_flight = std::atoi(v);
    else if (auto v = Value(argv[i], "rate")) f.rate = std::atof(v);
    else if (auto v = Value(argv[i], "create-partitions")) f.create_partitions = std::atoi(v);
    else if (auto v = Value(argv[i], "idle-s")) f.idle_s = std::atoi(v);
    else if (auto v = Value(argv[i], "topics")) f.topics = std::max(1, std::atoi(v));
    else {
      std::fprintf(stderr, "loadgen: unknown flag %s\n", argv[i]);
      std::exit(2);
    }
  }
  if ((f.mode != "produce" && f.mode != "consume") || f.bootstrap.empty() || f.topic.empty()) {
    std::fprintf(stderr, "usage: loadgen produce|consume --bootstrap=H:P --topic=T ... "
                         "(see the top of bench/loadgen.cc)\n");
    std::exit(2);
  }
  return f;
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "loadgen: %s\n", what.c_str());
  std::exit(1);
}

void Set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    Fail(std::string(key) + ": " + err);
  }
}

// Means over a run of librdkafka's windows for the connection to the
// server (its statistics, one set a second): where a record's latency goes
// on the client's side.
struct ClientWindows {
  struct Mean {
    double sum = 0, count = 0;
    double value() const { return count > 0 ? sum / count : 0; }
  };
  Mean queue;   // int_latency: produce() call until the record is in a request
  Mean outbuf;  // the request built until it is sent
  Mean rtt;     // the request sent until its response arrives
};

struct Delivery {
  std::vector<int64_t> latency_us;
  ClientWindows windows;
  uint64_t expected = 0;
  uint64_t delivered = 0;
  uint64_t errors = 0;
  Clock::time_point last;  // when the last report arrived
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* d = static_cast<Delivery*>(opaque);
  // One clock read per run, not per record: at 100 B records the client's
  // own CPU sets the pace.
  if (++d->delivered == d->expected) d->last = Clock::now();
  if (m->err) {
    if (d->errors++ == 0) std::fprintf(stderr, "loadgen: delivery failed: %s\n", rd_kafka_err2str(m->err));
    return;
  }
  d->latency_us.push_back(rd_kafka_message_latency(m));
}

// Each window's histogram covers the second since the previous statistics,
// so their means weighted by their counts make the run's means.
int OnStatistics(rd_kafka_t*, char* json, size_t len, void* opaque) {
  auto& w = static_cast<Delivery*>(opaque)->windows;
  boost::system::error_code ec;
  const boost::json::value stats = boost::json::parse(std::string_view(json, len), ec);
  if (ec || !stats.is_object()) return 0;
  const auto* brokers = stats.as_object().if_contains("brokers");
  if (brokers == nullptr || !brokers->is_object()) return 0;
  auto add = [](const boost::json::object& broker, const char* name, ClientWindows::Mean* mean) {
    const auto* window = broker.if_contains(name);
    if (window == nullptr || !window->is_object()) return;
    const auto* avg = window->as_object().if_contains("avg");
    const auto* cnt = window->as_object().if_contains("cnt");
    if (avg == nullptr || cnt == nullptr || !avg->is_number() || !cnt->is_number()) return;
    const double n = cnt->to_number<double>();
    mean->sum += avg->to_number<double>() * n;
    mean->count += n;
  };
  for (const auto& [name, value] : brokers->as_object()) {
    if (!value.is_object()) continue;
    const auto& broker = value.as_object();
    // The bootstrap connection (nodeid -1) carries no produce requests.
    const auto* node = broker.if_contains("nodeid");
    if (node == nullptr || !node->is_number() || node->to_number<double>() < 0) continue;
    add(broker, "int_latency", &w.queue);
    add(broker, "outbuf_latency", &w.outbuf);
    add(broker, "rtt", &w.rtt);
  }
  return 0;  // librdkafka frees the JSON
}

void CreateTopics(rd_kafka_t* rk, const Flags& f) {
  char err[512];
  std::vector<rd_kafka_NewTopic_t*> topics;
  for (const auto& name : f.TopicNames()) {
    topics.push_back(rd_kafka_NewTopic_new(name.c_str(), f.create_partitions, 1, err, sizeof err));
    if (!topics.back()) Fail(err);
  }
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, topics.data(), topics.size(), nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 15000);
  if (!ev) Fail("CreateTopics timed out");
  size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
  for (size_t i = 0; i < n; ++i) {
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      Fail(std::string("CreateTopics: ") + rd_kafka_err2str(e));
    }
  }
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy_array(topics.data(), topics.size());
}

// Waits until the topic's metadata names a leader for every partition, so
// neither connection setup nor auto-creation lands in the measurement.
int WaitForTopic(rd_kafka_t* rk, rd_kafka_topic_t* rkt) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      int partitions = 0;
      bool ready = md->topic_cnt == 1 && md->topics[0].err == 0 && md->topics[0].partition_cnt > 0;
      for (int i = 0; ready && i < md->topics[0].partition_cnt; ++i) {
        ready = md->topics[0].partitions[i].leader >= 0;
      }
      if (ready) partitions = md->topics[0].partition_cnt;
      rd_kafka_metadata_destroy(md);
      if (partitions > 0) return partitions;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Fail("topic metadata never became ready");
}

double Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return static_cast<double>(v[i]);
}

// Round-robin over topics, then partitions: an even spread on both servers.
int32_t PartitionOf(uint64_t i, size_t topics, int partitions) {
  return static_cast<int32_t>((i / topics) % static_cast<uint64_t>(partitions));
}

// No copy: the payload outlives every message.
void ProduceOne(rd_kafka_t* rk, rd_kafka_topic_t* rkt, int32_t partition, const std::string& payload) {
  while (rd_kafka_produce(rkt, partition, 0, const_cast<char*>(payload.data()), payload.size(), nullptr,
                          0, nullptr) != 0) {
    if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      Fail(std::string("produce: ") + rd_kafka_err2str(rd_kafka_last_error()));
    }
    rd_kafka_poll(rk, 1);
  }
}

// One record per call at `f.rate` records a second, each timed from its
// own call.
void ProducePaced(rd_kafka_t* rk, const std::vector<rd_kafka_topic_t*>& rkts, int partitions,
                  const std::string& payload, const Flags& f) {
  const auto start = Clock::now();
  const auto gap = std::chrono::duration<double>(1 / f.rate);
  for (uint64_t i = 0; i < f.count;) {
    auto due = start + std::chrono::duration_cast<Clock::duration>(gap * static_cast<double>(i));
    auto now = Clock::now();
    if (now < due) {
      rd_kafka_poll(rk, 0);
      std::this_thread::sleep_for(std::min<Clock::duration>(due - now, std::chrono::microseconds(200)));
      continue;
    }
    ProduceOne(rk, rkts[i % rkts.size()], PartitionOf(i, rkts.size(), partitions), payload);
    if ((++i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
}

// Flat out, the records go to librdkafka a run of kRun at a time for one
// partition (rd_kafka_produce_batch): one clock read and one queue lock
// per run instead of per record, so that a single client CPU can load the
// server with small records. The same for corelogd and the mock.
void ProduceFlatOut(rd_kafka_t* rk, const std::vector<rd_kafka_topic_t*>& rkts, int partitions,
                    const std::string& payload, uint64_t count) {
  constexpr uint64_t kRun = 256;
  std::vector<rd_kafka_message_t> run(kRun);
  for (uint64_t i = 0, r = 0; i < count; ++r) {
    const auto n = static_cast<int>(std::min(kRun, count - i));
    for (int j = 0; j < n; ++j) {
      run[j] = rd_kafka_message_t{};
      run[j].payload = const_cast<char*>(payload.data());
      run[j].len = payload.size();
    }
    // A full queue refuses some of a run: serve delivery reports and send
    // as many again (the records are all alike).
    int done = 0;
    while (done < n) {
      const int ok = rd_kafka_produce_batch(rkts[r % rkts.size()], PartitionOf(r, rkts.size(), partitions), 0,
                                            run.data(), n - done);
      for (int j = 0; j < n - done; ++j) {
        if (run[j].err != RD_KAFKA_RESP_ERR_NO_ERROR && run[j].err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          Fail(std::string("produce: ") + rd_kafka_err2str(run[j].err));
        }
      }
      done += ok;
      if (done < n) rd_kafka_poll(rk, 1);
    }
    i += static_cast<uint64_t>(n);
    if ((r & 3) == 0) rd_kafka_poll(rk, 0);
  }
}

int Produce(const Flags& f) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Set(conf, "bootstrap.servers", f.bootstrap);
  Set(conf, "acks", f.acks);
  Set(conf, "linger.ms", std::to_string(f.linger_ms));
  Set(conf, "batch.size", std::to_string(f.batch_bytes));
  Set(conf, "max.in.flight", std::to_string(f.max_in_flight));
  Set(conf, "compression.codec", "none");
  Set(conf, "enable.idempotence", "false");
  Set(conf, "queue.buffering.max.messages", "2000000");
  Set(conf, "queue.buffering.max.kbytes", "1048576");
  Set(conf, "socket.nagle.disable", "true");
  Set(conf, "log_level", "3");
  Delivery delivery;
  delivery.expected = f.count;
  delivery.latency_us.reserve(f.count);
  rd_kafka_conf_set_opaque(conf, &delivery);
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  // Statistics make librdkafka time every record into histograms, which
  // slows a flat-out client; paced runs have the CPU to spare.
  const bool statistics = f.rate > 0;
  if (statistics) {
    Set(conf, "statistics.interval.ms", "1000");
    rd_kafka_conf_set_stats_cb(conf, OnStatistics);
  }
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) Fail(err);
  if (f.create_partitions > 0) CreateTopics(rk, f);
  std::vector<rd_kafka_topic_t*> rkts;
  int partitions = 1;
  for (const auto& name : f.TopicNames()) {
    rkts.push_back(rd_kafka_topic_new(rk, name.c_str(), nullptr));
    partitions = WaitForTopic(rk, rkts.back());
  }

  std::string payload(f.size, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + (i * 7) % 26);
  const auto start = Clock::now();
  if (f.rate > 0) {
    ProducePaced(rk, rkts, partitions, payload, f);
  } else {
    ProduceFlatOut(rk, rkts, partitions, payload, f.count);
  }
  while (delivery.delivered < f.count) {
    if (rd_kafka_flush(rk, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR) Fail("flush timed out");
  }
  double seconds = Seconds(delivery.last - start);
  auto& lat = delivery.latency_us;
  double p50 = Percentile(lat, 0.5), p99 = Percentile(lat, 0.99), p999 = Percentile(lat, 0.999);
  double max = lat.empty() ? 0 : static_cast<double>(*std::max_element(lat.begin(), lat.end()));
  double bytes = static_cast<double>(f.count) * static_cast<double>(f.size);
  std::printf("result mode=produce acks=%s size=%zu msgs=%llu bytes=%.0f seconds=%.4f msgs_per_s=%.0f "
              "mb_per_s=%.2f p50_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f errors=%llu",
              f.acks.c_str(), f.size, static_cast<unsigned long long>(f.count), bytes, seconds,
              static_cast<double>(f.count) / seconds, bytes / seconds / 1e6, p50, p99, p999, max,
              static_cast<unsigned long long>(delivery.errors));
  if (statistics) {
    std::printf(" queue_us=%.0f outbuf_us=%.0f rtt_us=%.0f", delivery.windows.queue.value(),
                delivery.windows.outbuf.value(), delivery.windows.rtt.value());
  }
  std::printf("\n");
  for (auto* rkt : rkts) rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return delivery.errors == 0 ? 0 : 1;
}

int Consume(const Flags& f) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Set(conf, "bootstrap.servers", f.bootstrap);
  Set(conf, "socket.nagle.disable", "true");
  Set(conf, "log_level", "3");
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) Fail(err);
  std::vector<std::pair<rd_kafka_topic_t*, int>> topics;  // with their partition counts
  for (const auto& name : f.TopicNames()) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, name.c_str(), nullptr);
    topics.emplace_back(rkt, WaitForTopic(rk, rkt));
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  const auto start = Clock::now();
  for (auto [rkt, partitions] : topics) {
    for (int p = 0; p < partitions; ++p) {
      if (rd_kafka_consume_start_queue(rkt, p, RD_KAFKA_OFFSET_BEGINNING, queue) != 0) {
        Fail(std::string("consume_start: ") + rd_kafka_err2str(rd_kafka_last_error()));
      }
    }
  }
  std::vector<rd_kafka_message_t*> batch(10000);
  uint64_t msgs = 0, bytes = 0;
  auto last = start;
  while (msgs < f.count && Clock::now() - last < std::chrono::seconds(f.idle_s)) {
    ssize_t n = rd_kafka_consume_batch_queue(queue, 500, batch.data(), batch.size());
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
      if (m->err == 0) {
        ++msgs;
        bytes += m->len;
        last = Clock::now();
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        Fail(std::string("consume: ") + rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
  }
  double seconds = Seconds(last - start);
  std::printf("result mode=consume msgs=%llu bytes=%llu seconds=%.4f msgs_per_s=%.0f mb_per_s=%.2f\n",
              static_cast<unsigned long long>(msgs), static_cast<unsigned long long>(bytes), seconds,
              static_cast<double>(msgs) / seconds, static_cast<double>(bytes) / seconds / 1e6);
  for (auto [rkt, partitions] : topics) {
    for (int p = 0; p < partitions; ++p) rd_kafka_consume_stop(rkt, p);
  }
  rd_kafka_queue_destroy(queue);
  for (auto [rkt, partitions] : topics) rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return msgs >= f.count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f = Parse(argc, argv);
  return f.mode == "produce" ? Produce(f) : Consume(f);
}
