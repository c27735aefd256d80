// Codecs for InitProducerId, CreatePartitions, DeleteRecords and
// AlterConfigs (messages_admin.h).
#include "broker/kafka/codec_util.h"
#include "broker/kafka/messages.h"

namespace corelog::kafka {

using internal::CheckDecodeVersion;
using internal::CheckEncodeVersion;
using internal::Finish;
using internal::Flexible;
using internal::ReadErrorCode;
using internal::WriteErrorCode;

// ---- InitProducerId ----

Result<InitProducerIdRequest> InitProducerIdRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<InitProducerIdRequest>(version));
  const bool flex = Flexible<InitProducerIdRequest>(version);
  InitProducerIdRequest m;
  m.transactional_id = r.NullableString(flex);
  m.transaction_timeout_ms = r.Int32();
  if (version >= 3) {
    m.producer_id = r.Int64();
    m.producer_epoch = r.Int16();
  }
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void InitProducerIdRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<InitProducerIdRequest>(version);
  const bool flex = Flexible<InitProducerIdRequest>(version);
  w.NullableString(transactional_id, flex);
  w.Int32(transaction_timeout_ms);
  if (version >= 3) {
    w.Int64(producer_id);
    w.Int16(producer_epoch);
  }
  w.EmptyTaggedFields(flex);
}

Result<InitProducerIdResponse> InitProducerIdResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<InitProducerIdResponse>(version));
  const bool flex = Flexible<InitProducerIdResponse>(version);
  InitProducerIdResponse m;
  m.throttle_time_ms = r.Int32();
  m.error_code = ReadErrorCode(r);
  m.producer_id = r.Int64();
  m.producer_epoch = r.Int16();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void InitProducerIdResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<InitProducerIdResponse>(version);
  const bool flex = Flexible<InitProducerIdResponse>(version);
  w.Int32(throttle_time_ms);
  WriteErrorCode(w, error_code);
  w.Int64(producer_id);
  w.Int16(producer_epoch);
  w.EmptyTaggedFields(flex);
}

// ---- CreatePartitions ----

Result<CreatePartitionsRequest> CreatePartitionsRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<CreatePartitionsRequest>(version));
  const bool flex = Flexible<CreatePartitionsRequest>(version);
  CreatePartitionsRequest m;
  m.topics = ReadArray(r, flex, [flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.count = r.Int32();
    t.assignments = ReadNullableArray(r, flex, [flex](Reader& r) {
      Assignment a;
      a.broker_ids = ReadInt32Array(r, flex);
      r.SkipTaggedFields(flex);
      return a;
    });
    r.SkipTaggedFields(flex);
    return t;
  });
  m.timeout_ms = r.Int32();
  m.validate_only = r.Bool();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void CreatePartitionsRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<CreatePartitionsRequest>(version);
  const bool flex = Flexible<CreatePartitionsRequest>(version);
  WriteArray(w, topics, flex, [flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    w.Int32(t.count);
    WriteNullableArray(w, t.assignments, flex, [flex](Writer& w, const Assignment& a) {
      WriteInt32Array(w, a.broker_ids, flex);
      w.EmptyTaggedFields(flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.Int32(timeout_ms);
  w.Bool(validate_only);
  w.EmptyTaggedFields(flex);
}

Result<CreatePartitionsResponse> CreatePartitionsResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<CreatePartitionsResponse>(version));
  const bool flex = Flexible<CreatePartitionsResponse>(version);
  CreatePartitionsResponse m;
  m.throttle_time_ms = r.Int32();
  m.topics = ReadArray(r, flex, [flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.error_code = ReadErrorCode(r);
    t.error_message = r.NullableString(flex);
    r.SkipTaggedFields(flex);
    return t;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void CreatePartitionsResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<CreatePartitionsResponse>(version);
  const bool flex = Flexible<CreatePartitionsResponse>(version);
  w.Int32(throttle_time_ms);
  WriteArray(w, topics, flex, [flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteErrorCode(w, t.error_code);
    w.NullableString(t.error_message, flex);
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

// ---- DeleteRecords ----

Result<DeleteRecordsRequest> DeleteRecordsRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<DeleteRecordsRequest>(version));
  const bool flex = Flexible<DeleteRecordsRequest>(version);
  DeleteRecordsRequest m;
  m.topics = ReadArray(r, flex, [flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partitions = ReadArray(r, flex, [flex](Reader& r) {
      Partition p;
      p.partition_index = r.Int32();
      p.offset = r.Int64();
      r.SkipTaggedFields(flex);
      return p;
    });
    r.SkipTaggedFields(flex);
    return t;
  });
  m.timeout_ms = r.Int32();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void DeleteRecordsRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<DeleteRecordsRequest>(version);
  const bool flex = Flexible<DeleteRecordsRequest>(version);
  WriteArray(w, topics, flex, [flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteArray(w, t.partitions, flex, [flex](Writer& w, const Partition& p) {
      w.Int32(p.partition_index);
      w.Int64(p.offset);
      w.EmptyTaggedFields(flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.Int32(timeout_ms);
  w.EmptyTaggedFields(flex);
}

Result<DeleteRecordsResponse> DeleteRecordsResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<DeleteRecordsResponse>(version));
  const bool flex = Flexible<DeleteRecordsResponse>(version);
  DeleteRecordsResponse m;
  m.throttle_time_ms = r.Int32();
  m.topics = ReadArray(r, flex, [flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partitions = ReadArray(r, flex, [flex](Reader& r) {
      Partition p;
      p.partition_index = r.Int32();
      p.low_watermark = r.Int64();
      p.error_code = ReadErrorCode(r);
      r.SkipTaggedFields(flex);
      return p;
    });
    r.SkipTaggedFields(flex);
    return t;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void DeleteRecordsResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<DeleteRecordsResponse>(version);
  const bool flex = Flexible<DeleteRecordsResponse>(version);
  w.Int32(throttle_time_ms);
  WriteArray(w, topics, flex, [flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteArray(w, t.partitions, flex, [flex](Writer& w, const Partition& p) {
      w.Int32(p.partition_index);
      w.Int64(p.low_watermark);
      WriteErrorCode(w, p.error_code);
      w.EmptyTaggedFields(flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

// ---- AlterConfigs ----

Result<AlterConfigsRequest> AlterConfigsRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<AlterConfigsRequest>(version));
  const bool flex = Flexible<AlterConfigsRequest>(version);
  AlterConfigsRequest m;
  m.resources = ReadArray(r, flex, [flex](Reader& r) {
    Resource res;
    res.resource_type = static_cast<ConfigResourceType>(r.Int8());
    res.resource_name = r.String(flex);
    res.configs = ReadArray(r, flex, [flex](Reader& r) {
      Config c;
      c.name = r.String(flex);
      c.value = r.NullableString(flex);
      r.SkipTaggedFields(flex);
      return c;
    });
    r.SkipTaggedFields(flex);
    return res;
  });
  m.validate_only = r.Bool();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void AlterConfigsRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<AlterConfigsRequest>(version);
  const bool flex = Flexible<AlterConfigsRequest>(version);
  WriteArray(w, resources, flex, [flex](Writer& w, const Resource& res) {
    w.Int8(static_cast<int8_t>(res.resource_type));
    w.String(res.resource_name, flex);
    WriteArray(w, res.configs, flex, [flex](Writer& w, const Config& c) {
      w.String(c.name, flex);
      w.NullableString(c.value, flex);
      w.EmptyTaggedFields(flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.Bool(validate_only);
  w.EmptyTaggedFields(flex);
}

Result<AlterConfigsResponse> AlterConfigsResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<AlterConfigsResponse>(version));
  const bool flex = Flexible<AlterConfigsResponse>(version);
  AlterConfigsResponse m;
  m.throttle_time_ms = r.Int32();
  m.results = ReadArray(r, flex, [flex](Reader& r) {
    ResourceResult res;
    res.error_code = ReadErrorCode(r);
    res.error_message = r.NullableString(flex);
    res.resource_type = static_cast<ConfigResourceType>(r.Int8());
    res.resource_name = r.String(flex);
    r.SkipTaggedFields(flex);
    return res;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void AlterConfigsResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<AlterConfigsResponse>(version);
  const bool flex = Flexible<AlterConfigsResponse>(version);
  w.Int32(throttle_time_ms);
  WriteArray(w, results, flex, [flex](Writer& w, const ResourceResult& res) {
    WriteErrorCode(w, res.error_code);
    w.NullableString(res.error_message, flex);
    w.Int8(static_cast<int8_t>(res.resource_type));
    w.String(res.resource_name, flex);
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

}  // namespace corelog::kafka
