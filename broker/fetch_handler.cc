// Fetch: read whole batches below each partition's high watermark from
// RocksDB on the connection's core. When fewer than min_bytes are available
// the fetch parks: each partition's owner core wakes it at the next high
// watermark advance, and a timer ends it at max_wait_ms.
#include "broker/broker_metrics.h"
#include "broker/kafka/messages.h"
#include "broker/kafka_handler.h"
#include "common/log.h"
#include "metrics/topic_metrics.h"

namespace corelog::broker {
namespace {

using kafka::ErrorCode;

class FetchOp : public std::enable_shared_from_this<FetchOp> {
 public:
  FetchOp(RequestContext ctx, kafka::FetchRequest req, Storage* storage, Cores* cores)
      : ctx_(std::move(ctx)), req_(std::move(req)), storage_(storage), cores_(cores) {}

  void Start() {
    auto resp = Read();
    if (Enough() || req_.max_wait_ms <= 0) return Send(std::move(resp));
    timer_ = cores_->StartTimer(ctx_.core, std::chrono::milliseconds(req_.max_wait_ms),
                                [self = shared_from_this()] { self->Finish(); });
    Park();
  }

 private:
  struct Watched {
    std::shared_ptr<Partition> partition;
    int64_t seen_high_watermark;
    BatchTotals returned;  // what the read of this partition put in the response
  };

  bool Enough() const { return error_ || bytes_ >= static_cast<size_t>(std::max(req_.min_bytes, 1)); }

  // Reads every requested partition, within the request's byte limits.
  kafka::FetchResponse Read() {
    bytes_ = 0;
    error_ = false;
    watched_.clear();
    kafka::FetchResponse resp;
    for (const auto& t : req_.topics) {
      auto topic = storage_->topics().Find(t.name);
      auto& out_topic = resp.topics.emplace_back();
      out_topic.name = t.name;
      for (const auto& p : t.partitions) out_topic.partitions.push_back(ReadOne(topic.get(), p));
    }
    return resp;
  }

  kafka::FetchResponse::Partition ReadOne(const Topic* topic, const kafka::FetchRequest::Partition& rp) {
    kafka::FetchResponse::Partition out;
    out.partition_index = rp.partition_index;
    out.aborted_transactions.emplace();
    if (!topic || rp.partition_index < 0 ||
        rp.partition_index >= static_cast<int32_t>(topic->partitions.size())) {
      out.error_code = ErrorCode::kUnknownTopicOrPartition;
      error_ = true;
      return out;
    }
    const auto& partition = topic->partitions[rp.partition_index];
    int64_t remaining = static_cast<int64_t>(req_.max_bytes) - static_cast<int64_t>(bytes_);
    int64_t limit = std::max<int64_t>(0, std::min<int64_t>(rp.partition_max_bytes, remaining));
    // KIP-74: only the first batch of the response may exceed the limits.
    auto read = storage_->Read(*partition, rp.fetch_offset, static_cast<size_t>(limit),
                               /*oversized_first=*/bytes_ == 0);
    if (!read) {
      LOG_ERROR("fetch from " << topic->meta.name << "-" << rp.partition_index << ": "
                              << read.error().message());
      out.error_code = ErrorCode::kKafkaStorageError;
      error_ = true;
      return out;
    }
    out.high_watermark = read->high_watermark;
    out.last_stable_offset = read->high_watermark;
    out.log_start_offset = read->log_start;
    if (read->out_of_range) {
      out.error_code = ErrorCode::kOffsetOutOfRange;
      error_ = true;
      return out;
    }
    bytes_ += read->records.size();
    out.records = std::move(read->records);
    watched_.push_back({partition, read->high_watermark, CountBatches(out.records)});
    return out;
  }

  // Asks each watched partition's owner to wake us at its next advance.
  void Park() {
    wake_ = std::make_shared<const std::function<void()>>(
        [weak = weak_from_this(), cores = cores_, core = ctx_.core] {
          cores->Post(core, [weak] {
            if (auto self = weak.lock()) self->Woken();
          });
        });
    std::weak_ptr<const std::function<void()>> wake = wake_;
    for (const auto& w : watched_) {
      cores_->Post(w.partition->owner, [storage = storage_, w, wake] {
        // Data may have arrived between our read and this registration.
        if (w.partition->high_watermark.load() > w.seen_high_watermark) {
          if (auto fn = wake.lock()) (*fn)();
          return;
        }
        storage->AddWaiter(*w.partition, wake);
      });
    }
  }

  void Woken() {
    if (done_) return;
    auto resp = Read();
    if (!Enough()) return Park();
    done_ = true;
    timer_->Cancel();
    Send(std::move(resp));
  }

  void Finish() {
    if (done_) return;
    done_ = true;
    Send(Read());
  }

  // The record batches go out from the response, not copied into the frame.
  void Send(kafka::FetchResponse resp) {
    done_ = true;
    wake_.reset();
    CountFetched();
    ctx_.SendInPlace(std::make_shared<const kafka::FetchResponse>(std::move(resp)));
  }

  // Per-topic traffic of the read that is being sent.
  void CountFetched() const {
    for (const auto& w : watched_) {
      auto* counters = w.partition->counters.load(std::memory_order_relaxed);
      if (counters) counters->OnFetch(ctx_.core, w.returned.records, w.returned.bytes);
    }
  }

  RequestContext ctx_;
  kafka::FetchRequest req_;
  Storage* storage_;
  Cores* cores_;
  std::unique_ptr<Timer> timer_;
  std::shared_ptr<const std::function<void()>> wake_;
  std::vector<Watched> watched_;
  size_t bytes_ = 0;
  bool error_ = false;
  bool done_ = false;
};

}  // namespace

void KafkaHandler::Fetch(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::FetchRequest>(ctx);
  if (!req) return;
  std::make_shared<FetchOp>(ctx, std::move(*req), storage_, cores_)->Start();
}

}  // namespace corelog::broker
