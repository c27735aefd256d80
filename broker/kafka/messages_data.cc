// Codecs for the data-path APIs: Produce, Fetch and ListOffsets.
#include "broker/kafka/codec_util.h"
#include "broker/kafka/messages.h"

namespace corelog::kafka {

using internal::CheckDecodeVersion;
using internal::CheckEncodeVersion;
using internal::Finish;
using internal::Flexible;
using internal::ReadErrorCode;
using internal::WriteErrorCode;

// ---- Produce ----

Result<ProduceRequest> ProduceRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<ProduceRequest>(version));
  const bool flex = Flexible<ProduceRequest>(version);
  ProduceRequest m;
  m.transactional_id = r.NullableString(flex);
  m.acks = r.Int16();
  m.timeout_ms = r.Int32();
  m.topics = ReadArray(r, flex, [flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partitions = ReadArray(r, flex, [flex](Reader& r) {
      Partition p;
      p.partition_index = r.Int32();
      p.records = r.NullableBytes(flex).value_or(std::string_view());
      r.SkipTaggedFields(flex);
      return p;
    });
    r.SkipTaggedFields(flex);
    return t;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void ProduceRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<ProduceRequest>(version);
  const bool flex = Flexible<ProduceRequest>(version);
  w.NullableString(transactional_id, flex);
  w.Int16(acks);
  w.Int32(timeout_ms);
  WriteArray(w, topics, flex, [flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteArray(w, t.partitions, flex, [flex](Writer& w, const Partition& p) {
      w.Int32(p.partition_index);
      w.Bytes(p.records, flex);
      w.EmptyTaggedFields(flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

Result<ProduceResponse> ProduceResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<ProduceResponse>(version));
  const bool flex = Flexible<ProduceResponse>(version);
  ProduceResponse m;
  m.topics = ReadArray(r, flex, [version, flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partitions = ReadArray(r, flex, [version, flex](Reader& r) {
      Partition p;
      p.partition_index = r.Int32();
      p.error_code = ReadErrorCode(r);
      p.base_offset = r.Int64();
      p.log_append_time_ms = r.Int64();
      if (version >= 5) p.log_start_offset = r.Int64();
      r.SkipTaggedFields(flex);
      return p;
    });
    r.SkipTaggedFields(flex);
    return t;
  });
  m.throttle_time_ms = r.Int32();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void ProduceResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<ProduceResponse>(version);
  const bool flex = Flexible<ProduceResponse>(version);
  WriteArray(w, topics, flex, [version, flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteArray(w, t.partitions, flex, [version, flex](Writer& w, const Partition& p) {
      w.Int32(p.partition_index);
      WriteErrorCode(w, p.error_code);
      w.Int64(p.base_offset);
      w.Int64(p.log_append_time_ms);
      if (version >= 5) w.Int64(p.log_start_offset);
      w.EmptyTaggedFields(flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.Int32(throttle_time_ms);
  w.EmptyTaggedFields(flex);
}

// ---- Fetch ----

namespace {

FetchRequest::Partition ReadFetchPartition(Reader& r, int16_t version, bool flex) {
  FetchRequest::Partition p;
  p.partition_index = r.Int32();
  if (version >= 9) p.current_leader_epoch = r.Int32();
  p.fetch_offset = r.Int64();
  if (version >= 5) p.log_start_offset = r.Int64();
  p.partition_max_bytes = r.Int32();
  r.SkipTaggedFields(flex);
  return p;
}

void WriteFetchPartition(Writer& w, const FetchRequest::Partition& p, int16_t version, bool flex) {
  w.Int32(p.partition_index);
  if (version >= 9) w.Int32(p.current_leader_epoch);
  w.Int64(p.fetch_offset);
  if (version >= 5) w.Int64(p.log_start_offset);
  w.Int32(p.partition_max_bytes);
  w.EmptyTaggedFields(flex);
}

}  // namespace

Result<FetchRequest> FetchRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<FetchRequest>(version));
  const bool flex = Flexible<FetchRequest>(version);
  FetchRequest m;
  m.replica_id = r.Int32();
  m.max_wait_ms = r.Int32();
  m.min_bytes = r.Int32();
  m.max_bytes = r.Int32();
  m.isolation_level = r.Int8();
  if (version >= 7) {
    m.session_id = r.Int32();
    m.session_epoch = r.Int32();
  }
  m.topics = ReadArray(r, flex, [version, flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partitions = ReadArray(
        r, flex, [version, flex](Reader& r) { return ReadFetchPartition(r, version, flex); });
    r.SkipTaggedFields(flex);
    return t;
  });
  if (version >= 7) {
    m.forgotten_topics = ReadArray(r, flex, [flex](Reader& r) {
      ForgottenTopic t;
      t.name = r.String(flex);
      t.partitions = ReadInt32Array(r, flex);
      r.SkipTaggedFields(flex);
      return t;
    });
  }
  if (version >= 11) m.rack_id = r.String(flex);
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void FetchRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<FetchRequest>(version);
  const bool flex = Flexible<FetchRequest>(version);
  w.Int32(replica_id);
  w.Int32(max_wait_ms);
  w.Int32(min_bytes);
  w.Int32(max_bytes);
  w.Int8(isolation_level);
  if (version >= 7) {
    w.Int32(session_id);
    w.Int32(session_epoch);
  }
  WriteArray(w, topics, flex, [version, flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteArray(w, t.partitions, flex, [version, flex](Writer& w, const Partition& p) {
      WriteFetchPartition(w, p, version, flex);
    });
    w.EmptyTaggedFields(flex);
  });
  if (version >= 7) {
    WriteArray(w, forgotten_topics, flex, [flex](Writer& w, const ForgottenTopic& t) {
      w.String(t.name, flex);
      WriteInt32Array(w, t.partitions, flex);
      w.EmptyTaggedFields(flex);
    });
  }
  if (version >= 11) w.String(rack_id, flex);
  w.EmptyTaggedFields(flex);
}

namespace {

using FetchedPartition = FetchResponse::Partition;
using AbortedTransaction = FetchResponse::AbortedTransaction;

FetchedPartition ReadFetchedPartition(Reader& r, int16_t version, bool flex) {
  FetchedPartition p;
  p.partition_index = r.Int32();
  p.error_code = ReadErrorCode(r);
  p.high_watermark = r.Int64();
  p.last_stable_offset = r.Int64();
  if (version >= 5) p.log_start_offset = r.Int64();
  p.aborted_transactions = ReadNullableArray(r, flex, [flex](Reader& r) {
    AbortedTransaction a;
    a.producer_id = r.Int64();
    a.first_offset = r.Int64();
    r.SkipTaggedFields(flex);
    return a;
  });
  if (version >= 11) p.preferred_read_replica = r.Int32();
  p.records = std::string(r.NullableBytes(flex).value_or(std::string_view()));
  r.SkipTaggedFields(flex);
  return p;
}

void WriteFetchedPartition(Writer& w, const FetchedPartition& p, int16_t version, bool flex) {
  w.Int32(p.partition_index);
  WriteErrorCode(w, p.error_code);
  w.Int64(p.high_watermark);
  w.Int64(p.last_stable_offset);
  if (version >= 5) w.Int64(p.log_start_offset);
  WriteNullableArray(w, p.aborted_transactions, flex,
                     [flex](Writer& w, const AbortedTransaction& a) {
                       w.Int64(a.producer_id);
                       w.Int64(a.first_offset);
                       w.EmptyTaggedFields(flex);
                     });
  if (version >= 11) w.Int32(p.preferred_read_replica);
  w.LargeBytes(p.records, flex);
  w.EmptyTaggedFields(flex);
}

}  // namespace

Result<FetchResponse> FetchResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<FetchResponse>(version));
  const bool flex = Flexible<FetchResponse>(version);
  FetchResponse m;
  m.throttle_time_ms = r.Int32();
  if (version >= 7) {
    m.error_code = ReadErrorCode(r);
    m.session_id = r.Int32();
  }
  m.topics = ReadArray(r, flex, [version, flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partitions = ReadArray(
        r, flex, [version, flex](Reader& r) { return ReadFetchedPartition(r, version, flex); });
    r.SkipTaggedFields(flex);
    return t;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void FetchResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<FetchResponse>(version);
  const bool flex = Flexible<FetchResponse>(version);
  w.Int32(throttle_time_ms);
  if (version >= 7) {
    WriteErrorCode(w, error_code);
    w.Int32(session_id);
  }
  WriteArray(w, topics, flex, [version, flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteArray(w, t.partitions, flex, [version, flex](Writer& w, const FetchedPartition& p) {
      WriteFetchedPartition(w, p, version, flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

// Fixed fields, counted at their widest: varint lengths as 5 bytes, and
// a tagged-field section as 1.
size_t FetchResponse::EncodedSizeBound() const {
  constexpr size_t kTop = 4 + 2 + 4 + 5 + 1;
  constexpr size_t kTopic = 5 + 5 + 1;
  constexpr size_t kPartition = 4 + 2 + 8 + 8 + 8 + 5 + 4 + 5 + 1;
  constexpr size_t kAborted = 8 + 8 + 1;
  size_t size = kTop;
  for (const Topic& t : topics) {
    size += kTopic + t.name.size();
    for (const Partition& p : t.partitions) {
      size += kPartition + p.records.size();
      if (p.aborted_transactions) size += kAborted * p.aborted_transactions->size();
    }
  }
  return size;
}

// ---- ListOffsets ----

Result<ListOffsetsRequest> ListOffsetsRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<ListOffsetsRequest>(version));
  const bool flex = Flexible<ListOffsetsRequest>(version);
  ListOffsetsRequest m;
  m.replica_id = r.Int32();
  if (version >= 2) m.isolation_level = r.Int8();
  m.topics = ReadArray(r, flex, [version, flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partitions = ReadArray(r, flex, [version, flex](Reader& r) {
      Partition p;
      p.partition_index = r.Int32();
      if (version >= 4) p.current_leader_epoch = r.Int32();
      p.timestamp = r.Int64();
      if (version == 0) p.max_num_offsets = r.Int32();
      r.SkipTaggedFields(flex);
      return p;
    });
    r.SkipTaggedFields(flex);
    return t;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void ListOffsetsRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<ListOffsetsRequest>(version);
  const bool flex = Flexible<ListOffsetsRequest>(version);
  w.Int32(replica_id);
  if (version >= 2) w.Int8(isolation_level);
  WriteArray(w, topics, flex, [version, flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteArray(w, t.partitions, flex, [version, flex](Writer& w, const Partition& p) {
      w.Int32(p.partition_index);
      if (version >= 4) w.Int32(p.current_leader_epoch);
      w.Int64(p.timestamp);
      if (version == 0) w.Int32(p.max_num_offsets);
      w.EmptyTaggedFields(flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

Result<ListOffsetsResponse> ListOffsetsResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<ListOffsetsResponse>(version));
  const bool flex = Flexible<ListOffsetsResponse>(version);
  ListOffsetsResponse m;
  if (version >= 2) m.throttle_time_ms = r.Int32();
  m.topics = ReadArray(r, flex, [version, flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partitions = ReadArray(r, flex, [version, flex](Reader& r) {
      Partition p;
      p.partition_index = r.Int32();
      p.error_code = ReadErrorCode(r);
      if (version == 0) {
        p.old_style_offsets = ReadArray(r, flex, [](Reader& r) { return r.Int64(); });
      } else {
        p.timestamp = r.Int64();
        p.offset = r.Int64();
      }
      if (version >= 4) p.leader_epoch = r.Int32();
      r.SkipTaggedFields(flex);
      return p;
    });
    r.SkipTaggedFields(flex);
    return t;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void ListOffsetsResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<ListOffsetsResponse>(version);
  const bool flex = Flexible<ListOffsetsResponse>(version);
  if (version >= 2) w.Int32(throttle_time_ms);
  WriteArray(w, topics, flex, [version, flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteArray(w, t.partitions, flex, [version, flex](Writer& w, const Partition& p) {
      w.Int32(p.partition_index);
      WriteErrorCode(w, p.error_code);
      if (version == 0) {
        WriteArray(w, p.old_style_offsets, flex, [](Writer& w, int64_t o) { w.Int64(o); });
      } else {
        w.Int64(p.timestamp);
        w.Int64(p.offset);
      }
      if (version >= 4) w.Int32(p.leader_epoch);
      w.EmptyTaggedFields(flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

}  // namespace corelog::kafka
