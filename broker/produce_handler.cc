// Produce: validate every partition's batch on the connection's core, append
// each on its partition's owner core, and answer once every append is
// durable (or failed). acks=0 gets no answer at all, as Kafka specifies.
#include <atomic>

#include "broker/kafka/messages.h"
#include "broker/kafka/record_batch.h"
#include "broker/kafka_handler.h"
#include "broker/topic_config.h"
#include "common/log.h"

namespace corelog::broker {
namespace {

using kafka::ErrorCode;

using ProduceState = CrossCoreResponse<kafka::ProduceResponse>;

struct Append {
  std::shared_ptr<Partition> partition;
  std::span<char> batch;  // inside the request frame, rewritten in place
  kafka::ProduceResponse::Partition* out;
};

int64_t MaxMessageBytes(const Topic& topic, const Config& config) {
  auto it = topic.meta.configs.find("max.message.bytes");
  if (it == topic.meta.configs.end()) return config.message_max_bytes;
  return std::stoll(it->second);
}

// Decides one partition's fate before any append: an error code, or kNone
// with the partition to append to.
ErrorCode Check(const Topic* topic, int32_t index, std::string_view batch, int16_t version,
                int16_t acks, const Config& config) {
  if (acks != 0 && acks != 1 && acks != -1) return ErrorCode::kInvalidRequiredAcks;
  if (!topic || index < 0 || index >= static_cast<int32_t>(topic->partitions.size())) {
    return ErrorCode::kUnknownTopicOrPartition;
  }
  if (static_cast<int64_t>(batch.size()) > MaxMessageBytes(*topic, config)) {
    return ErrorCode::kMessageTooLarge;
  }
  auto valid = kafka::ValidateProduceBatch(batch, version);
  return valid ? ErrorCode::kNone : kafka::ToErrorCode(valid.error());
}

// On the partition's owner core: the idempotence check, then the append.
void AppendOnOwner(Storage* storage, const Append& a, const std::shared_ptr<ProduceState>& state) {
  Partition& p = *a.partition;
  if (p.deleted.load()) {
    a.out->error_code = ErrorCode::kUnknownTopicOrPartition;
    return state->Finish();
  }
  auto view = kafka::RecordBatchView::Parse({a.batch.data(), a.batch.size()});
  if (view && view->has_producer_id()) {
    SequenceCheck check = p.producers.Check(view->producer_id(), view->producer_epoch(),
                                            view->base_sequence(), view->record_count());
    if (check.error != ErrorCode::kNone) {
      a.out->error_code = check.error;
      return state->Finish();
    }
    if (check.duplicate) {
      // A retry of a batch we have: answer with its offset once it is durable.
      return storage->WhenDurable(p.owner, [a, state, offset = check.base_offset](Status st) {
        a.out->error_code = st ? ErrorCode::kNone : ErrorCode::kKafkaStorageError;
        if (st) a.out->base_offset = offset;
        state->Finish();
      });
    }
  }
  // `state` holds the request frame, so the batch bytes live until the answer.
  storage->Append(p, a.batch, state, [a, state](Result<AppendResult> r) {
    if (r) {
      a.out->base_offset = r->base_offset;
      a.out->log_start_offset = r->log_start;
    } else {
      a.out->error_code = ErrorCode::kKafkaStorageError;
    }
    state->Finish();
  });
}

}  // namespace

void KafkaHandler::Produce(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::ProduceRequest>(ctx);
  if (!req) return;
  auto state = std::make_shared<ProduceState>();
  state->ctx = ctx;
  state->reply = req->acks != 0;
  if (!state->reply) ctx.respond(Reply::None());

  // Every vector of the response skeleton is reserved up front, so the
  // pointers in `appends` stay valid while the loop adds to it. A batch for a
  // partition this core owns is appended right after its check, while its
  // bytes are still in this CPU's cache from the CRC; the rest go to their
  // owners once the loop is done.
  const int here = cores_->CurrentCore();
  std::vector<Append> appends;
  state->response.topics.reserve(req->topics.size());
  for (const auto& t : req->topics) {
    auto topic = storage_->topics().Find(t.name);
    auto& out_topic = state->response.topics.emplace_back();
    out_topic.name = t.name;
    out_topic.partitions.reserve(t.partitions.size());
    for (const auto& p : t.partitions) {
      auto& out = out_topic.partitions.emplace_back();
      out.partition_index = p.partition_index;
      out.error_code = Check(topic.get(), p.partition_index, p.records, ctx.version(), req->acks,
                             config_);
      if (out.error_code != ErrorCode::kNone) continue;
      Append a{topic->partitions[p.partition_index], ctx.Writable(p.records), &out};
      if (static_cast<int>(a.partition->owner) == here) {
        state->pending.fetch_add(1);
        AppendOnOwner(storage_, a, state);
      } else {
        appends.push_back(std::move(a));
      }
    }
  }
  state->pending.fetch_add(static_cast<int>(appends.size()));
  for (const auto& a : appends) {
    cores_->Post(a.partition->owner, [this, a, state] { AppendOnOwner(storage_, a, state); });
  }
  state->Finish();
}

void KafkaHandler::InitProducerId(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::InitProducerIdRequest>(ctx);
  if (!req) return;
  kafka::InitProducerIdResponse resp;
  if (req->transactional_id) {
    // Transactions are not supported; idempotence alone is.
    resp.error_code = ErrorCode::kTransactionalIdAuthorizationFailed;
    return ctx.Send(resp);
  }
  if (req->producer_id >= 0 && req->producer_epoch >= 0 && req->producer_epoch < INT16_MAX - 1) {
    // KIP-360: a known producer bumps its epoch and keeps its id; its new
    // epoch starts every partition's sequence at 0 again.
    resp.producer_id = req->producer_id;
    resp.producer_epoch = static_cast<int16_t>(req->producer_epoch + 1);
    return ctx.Send(resp);
  }
  auto id = storage_->NewProducerId();
  if (!id) {
    LOG_ERROR("allocating a producer id: " << id.error().message());
    resp.error_code = ErrorCode::kKafkaStorageError;
  } else {
    resp.producer_id = *id;
    resp.producer_epoch = 0;
  }
  ctx.Send(resp);
}

}  // namespace corelog::broker
