// KafkaHandler: turns one request frame into one reply. Each API is decode →
// validate → dispatch → encode, each step its own function; the dispatch
// table is the codec's API table, so what ApiVersions advertises is exactly
// what is handled. Runs on the connection's core; partition work is posted to
// the partition's owner core (see produce_handler.cc, fetch_handler.cc).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "broker/config.h"
#include "broker/cores.h"
#include "broker/kafka/header.h"
#include "broker/response_error.h"
#include "broker/server.h"
#include "broker/storage.h"
#include "common/check.h"
#include "common/log.h"

namespace corelog::broker {

class GroupCoordinator;

// One request being handled. `frame` keeps the bytes `body` points into alive.
struct RequestContext {
  uint32_t core = 0;
  kafka::RequestHeader header;
  std::string_view body;
  std::shared_ptr<RequestFrame> frame;
  Responder respond;

  int16_t version() const { return header.api_version; }
  // The writable bytes behind `part`, a view decoded from this frame.
  std::span<char> Writable(std::string_view part) const {
    const size_t at = static_cast<size_t>(part.data() - frame->data());
    CORELOG_CHECK(part.data() >= frame->data() && at + part.size() <= frame->size(),
                  "a view outside its request frame");
    return {frame->data() + at, part.size()};
  }
  template <class Response>
  void Send(const Response& response) const {
    Reply reply;
    reply.bytes = kafka::EncodeResponseFrame(header, response);
    reply.error_code = ResponseErrorCode(response);
    respond(std::move(reply));
  }
  // Like Send, but the response's large byte fields (a fetch's record
  // batches) are sent from the response itself, which the reply keeps
  // alive, instead of being copied into the frame first.
  template <class Response>
  void SendInPlace(std::shared_ptr<const Response> response) const {
    Reply reply;
    reply.bytes = kafka::EncodeResponseFrame(header, *response, &reply.splices);
    reply.error_code = ResponseErrorCode(*response);
    reply.keep = std::move(response);
    respond(std::move(reply));
  }
};

// A response assembled on several owner cores: each partition's task fills
// its own pre-built slot and calls Finish(); the last one sends. The
// dispatcher holds one share itself, so nothing is sent while it is still
// posting tasks.
template <class Response>
struct CrossCoreResponse {
  RequestContext ctx;
  Response response;
  std::atomic<int> pending{1};
  bool reply = true;  // false for acks=0

  void Finish() {
    if (pending.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    if (reply) ctx.Send(response);
  }
};

// Decodes the request body, or answers "close the connection" and returns
// nothing: a malformed request ends its connection, never the broker.
template <class Request>
std::optional<Request> DecodeOrClose(const RequestContext& ctx) {
  kafka::Reader r(ctx.body);
  auto req = Request::Decode(r, ctx.version());
  if (!req) {
    LOG_WARN("malformed " << kafka::ApiName(ctx.header.api_key) << " v" << ctx.version()
                          << " request: " << req.error().message());
    ctx.respond(Reply::Close());
    return std::nullopt;
  }
  return std::move(*req);
}

class KafkaHandler final : public RequestHandler {
 public:
  KafkaHandler(Storage* storage, Cores* cores, GroupCoordinator* groups);
  void SetAdvertised(HostPort advertised) { advertised_ = std::move(advertised); }

  void Handle(uint32_t core, std::shared_ptr<RequestFrame> frame,
              Responder respond) override;

 private:
  void Dispatch(RequestContext ctx);
  void ApiVersions(const RequestContext& ctx);
  void Metadata(const RequestContext& ctx);
  void Produce(const RequestContext& ctx);
  void Fetch(const RequestContext& ctx);
  void ListOffsets(const RequestContext& ctx);
  void CreateTopics(const RequestContext& ctx);
  void DeleteTopics(const RequestContext& ctx);
  void DeleteRecords(const RequestContext& ctx);
  void DescribeConfigs(const RequestContext& ctx);
  void FindCoordinator(const RequestContext& ctx);
  void JoinGroup(const RequestContext& ctx);
  void SyncGroup(const RequestContext& ctx);
  void Heartbeat(const RequestContext& ctx);
  void LeaveGroup(const RequestContext& ctx);
  void OffsetCommit(const RequestContext& ctx);
  void OffsetFetch(const RequestContext& ctx);
  void DescribeGroups(const RequestContext& ctx);
  void ListGroups(const RequestContext& ctx);
  void DeleteGroups(const RequestContext& ctx);
  void OffsetDelete(const RequestContext& ctx);
  void InitProducerId(const RequestContext& ctx);
  void CreatePartitions(const RequestContext& ctx);
  void AlterConfigs(const RequestContext& ctx);

  Storage* storage_;
  Cores* cores_;
  GroupCoordinator* groups_;
  const Config& config_;
  HostPort advertised_;
};

}  // namespace corelog::broker
