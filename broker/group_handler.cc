// The consumer-group APIs: decode, hand to the GroupCoordinator (which runs
// the work on the group's core), encode its answer. JoinGroup and SyncGroup
// answers may come much later (a rebalance); the connection's other
// requests wait behind them in order, other connections don't.
#include "broker/group_coordinator.h"
#include "broker/kafka/messages.h"
#include "broker/kafka_handler.h"

namespace corelog::broker {

using kafka::ErrorCode;

void KafkaHandler::FindCoordinator(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::FindCoordinatorRequest>(ctx);
  if (!req) return;
  kafka::FindCoordinatorResponse resp;
  if (req->key_type != kafka::kCoordinatorGroup && req->key_type != kafka::kCoordinatorTransaction) {
    resp.error_code = ErrorCode::kInvalidRequest;
    resp.error_message = "unknown coordinator key type";
  } else {
    // A single broker coordinates every group and transaction.
    resp.node_id = config_.node_id;
    resp.host = advertised_.host;
    resp.port = advertised_.port;
  }
  ctx.Send(resp);
}

void KafkaHandler::JoinGroup(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::JoinGroupRequest>(ctx);
  if (!req) return;
  JoinArgs args{std::move(*req), ctx.version(), ctx.header.client_id.value_or(""), ""};
  groups_->Join(std::move(args), [ctx](const kafka::JoinGroupResponse& r) { ctx.Send(r); });
}

void KafkaHandler::SyncGroup(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::SyncGroupRequest>(ctx);
  if (!req) return;
  groups_->Sync(std::move(*req), [ctx](const kafka::SyncGroupResponse& r) { ctx.Send(r); });
}

void KafkaHandler::Heartbeat(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::HeartbeatRequest>(ctx);
  if (!req) return;
  groups_->Heartbeat(std::move(*req), [ctx](ErrorCode code) {
    kafka::HeartbeatResponse r;
    r.error_code = code;
    ctx.Send(r);
  });
}

void KafkaHandler::LeaveGroup(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::LeaveGroupRequest>(ctx);
  if (!req) return;
  groups_->Leave(std::move(*req), ctx.version(),
                 [ctx](const kafka::LeaveGroupResponse& r) { ctx.Send(r); });
}

void KafkaHandler::OffsetCommit(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::OffsetCommitRequest>(ctx);
  if (!req) return;
  groups_->Commit(std::move(*req), [ctx](const kafka::OffsetCommitResponse& r) { ctx.Send(r); });
}

void KafkaHandler::OffsetFetch(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::OffsetFetchRequest>(ctx);
  if (!req) return;
  groups_->Fetch(std::move(*req), [ctx](const kafka::OffsetFetchResponse& r) { ctx.Send(r); });
}

void KafkaHandler::DescribeGroups(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::DescribeGroupsRequest>(ctx);
  if (!req) return;
  groups_->Describe(std::move(req->groups),
                    [ctx](const kafka::DescribeGroupsResponse& r) { ctx.Send(r); });
}

void KafkaHandler::ListGroups(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::ListGroupsRequest>(ctx);
  if (!req) return;
  groups_->List([ctx, filter = std::move(req->states_filter)](kafka::ListGroupsResponse r) {
    if (!filter.empty()) {
      std::erase_if(r.groups, [&](const auto& g) {
        return std::find(filter.begin(), filter.end(), g.group_state) == filter.end();
      });
    }
    ctx.Send(r);
  });
}

void KafkaHandler::DeleteGroups(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::DeleteGroupsRequest>(ctx);
  if (!req) return;
  groups_->Delete(std::move(req->group_names),
                  [ctx](const kafka::DeleteGroupsResponse& r) { ctx.Send(r); });
}

void KafkaHandler::OffsetDelete(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::OffsetDeleteRequest>(ctx);
  if (!req) return;
  groups_->DeleteOffsets(std::move(*req),
                         [ctx](const kafka::OffsetDeleteResponse& r) { ctx.Send(r); });
}

}  // namespace corelog::broker
