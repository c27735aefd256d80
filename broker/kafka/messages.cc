// Codecs for ApiVersions, Metadata and the topic admin APIs (CreateTopics,
// DeleteTopics, DescribeConfigs).
#include "broker/kafka/messages.h"

#include "broker/kafka/codec_util.h"

namespace corelog::kafka {

using internal::CheckDecodeVersion;
using internal::CheckEncodeVersion;
using internal::Finish;
using internal::Flexible;
using internal::ReadErrorCode;
using internal::WriteErrorCode;

// ---- ApiVersions ----

Result<ApiVersionsRequest> ApiVersionsRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<ApiVersionsRequest>(version));
  const bool flex = Flexible<ApiVersionsRequest>(version);
  ApiVersionsRequest m;
  if (version >= 3) {
    m.client_software_name = r.String(flex);
    m.client_software_version = r.String(flex);
  }
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void ApiVersionsRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<ApiVersionsRequest>(version);
  const bool flex = Flexible<ApiVersionsRequest>(version);
  if (version >= 3) {
    w.String(client_software_name, flex);
    w.String(client_software_version, flex);
  }
  w.EmptyTaggedFields(flex);
}

ApiVersionsResponse ApiVersionsResponse::FromTable(const ApiFilter& include) {
  ApiVersionsResponse m;
  for (const ApiInfo& api : AllApis()) {
    if (include && !include(api)) continue;
    m.api_keys.push_back({static_cast<int16_t>(api.key), api.min_version, api.max_version});
  }
  return m;
}

ApiVersionsResponse ApiVersionsResponse::UnsupportedVersion(const ApiFilter& include) {
  ApiVersionsResponse m = FromTable(include);
  m.error_code = ErrorCode::kUnsupportedVersion;
  return m;
}

Result<ApiVersionsResponse> ApiVersionsResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<ApiVersionsResponse>(version));
  const bool flex = Flexible<ApiVersionsResponse>(version);
  ApiVersionsResponse m;
  m.error_code = ReadErrorCode(r);
  m.api_keys = ReadArray(r, flex, [flex](Reader& r) {
    ApiVersion v;
    v.api_key = r.Int16();
    v.min_version = r.Int16();
    v.max_version = r.Int16();
    r.SkipTaggedFields(flex);
    return v;
  });
  if (version >= 1) m.throttle_time_ms = r.Int32();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void ApiVersionsResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<ApiVersionsResponse>(version);
  const bool flex = Flexible<ApiVersionsResponse>(version);
  WriteErrorCode(w, error_code);
  WriteArray(w, api_keys, flex, [flex](Writer& w, const ApiVersion& v) {
    w.Int16(v.api_key);
    w.Int16(v.min_version);
    w.Int16(v.max_version);
    w.EmptyTaggedFields(flex);
  });
  if (version >= 1) w.Int32(throttle_time_ms);
  w.EmptyTaggedFields(flex);
}

// ---- Metadata ----

Result<MetadataRequest> MetadataRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<MetadataRequest>(version));
  const bool flex = Flexible<MetadataRequest>(version);
  MetadataRequest m;
  m.topics = ReadNullableArray(r, flex, [flex](Reader& r) {
    std::string name = r.String(flex);
    r.SkipTaggedFields(flex);
    return name;
  });
  // v0 has no null list; an empty one means "all topics" there.
  if (version == 0 && m.topics && m.topics->empty()) m.topics.reset();
  if (version >= 4) m.allow_auto_topic_creation = r.Bool();
  if (version >= 8) {
    m.include_cluster_authorized_operations = r.Bool();
    m.include_topic_authorized_operations = r.Bool();
  }
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void MetadataRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<MetadataRequest>(version);
  const bool flex = Flexible<MetadataRequest>(version);
  auto write_topic = [flex](Writer& w, const std::string& name) {
    w.String(name, flex);
    w.EmptyTaggedFields(flex);
  };
  if (!topics && version == 0) {
    w.ArrayLength(0, flex);
  } else {
    WriteNullableArray(w, topics, flex, write_topic);
  }
  if (version >= 4) w.Bool(allow_auto_topic_creation);
  if (version >= 8) {
    w.Bool(include_cluster_authorized_operations);
    w.Bool(include_topic_authorized_operations);
  }
  w.EmptyTaggedFields(flex);
}

namespace {

MetadataResponse::Partition ReadMetadataPartition(Reader& r, int16_t version, bool flex) {
  MetadataResponse::Partition p;
  p.error_code = ReadErrorCode(r);
  p.partition_index = r.Int32();
  p.leader_id = r.Int32();
  if (version >= 7) p.leader_epoch = r.Int32();
  p.replica_nodes = ReadInt32Array(r, flex);
  p.isr_nodes = ReadInt32Array(r, flex);
  if (version >= 5) p.offline_replicas = ReadInt32Array(r, flex);
  r.SkipTaggedFields(flex);
  return p;
}

void WriteMetadataPartition(Writer& w, const MetadataResponse::Partition& p, int16_t version,
                            bool flex) {
  WriteErrorCode(w, p.error_code);
  w.Int32(p.partition_index);
  w.Int32(p.leader_id);
  if (version >= 7) w.Int32(p.leader_epoch);
  WriteInt32Array(w, p.replica_nodes, flex);
  WriteInt32Array(w, p.isr_nodes, flex);
  if (version >= 5) WriteInt32Array(w, p.offline_replicas, flex);
  w.EmptyTaggedFields(flex);
}

MetadataResponse::Topic ReadMetadataTopic(Reader& r, int16_t version, bool flex) {
  MetadataResponse::Topic t;
  t.error_code = ReadErrorCode(r);
  t.name = r.String(flex);
  if (version >= 1) t.is_internal = r.Bool();
  t.partitions = ReadArray(
      r, flex, [version, flex](Reader& r) { return ReadMetadataPartition(r, version, flex); });
  if (version >= 8) t.topic_authorized_operations = r.Int32();
  r.SkipTaggedFields(flex);
  return t;
}

void WriteMetadataTopic(Writer& w, const MetadataResponse::Topic& t, int16_t version, bool flex) {
  WriteErrorCode(w, t.error_code);
  w.String(t.name, flex);
  if (version >= 1) w.Bool(t.is_internal);
  WriteArray(w, t.partitions, flex, [version, flex](Writer& w, const auto& p) {
    WriteMetadataPartition(w, p, version, flex);
  });
  if (version >= 8) w.Int32(t.topic_authorized_operations);
  w.EmptyTaggedFields(flex);
}

}  // namespace

Result<MetadataResponse> MetadataResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<MetadataResponse>(version));
  const bool flex = Flexible<MetadataResponse>(version);
  MetadataResponse m;
  if (version >= 3) m.throttle_time_ms = r.Int32();
  m.brokers = ReadArray(r, flex, [version, flex](Reader& r) {
    Broker b;
    b.node_id = r.Int32();
    b.host = r.String(flex);
    b.port = r.Int32();
    if (version >= 1) b.rack = r.NullableString(flex);
    r.SkipTaggedFields(flex);
    return b;
  });
  if (version >= 2) m.cluster_id = r.NullableString(flex);
  if (version >= 1) m.controller_id = r.Int32();
  m.topics = ReadArray(r, flex,
                       [version, flex](Reader& r) { return ReadMetadataTopic(r, version, flex); });
  if (version >= 8) m.cluster_authorized_operations = r.Int32();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void MetadataResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<MetadataResponse>(version);
  const bool flex = Flexible<MetadataResponse>(version);
  if (version >= 3) w.Int32(throttle_time_ms);
  WriteArray(w, brokers, flex, [version, flex](Writer& w, const Broker& b) {
    w.Int32(b.node_id);
    w.String(b.host, flex);
    w.Int32(b.port);
    if (version >= 1) w.NullableString(b.rack, flex);
    w.EmptyTaggedFields(flex);
  });
  if (version >= 2) w.NullableString(cluster_id, flex);
  if (version >= 1) w.Int32(controller_id);
  WriteArray(w, topics, flex, [version, flex](Writer& w, const Topic& t) {
    WriteMetadataTopic(w, t, version, flex);
  });
  if (version >= 8) w.Int32(cluster_authorized_operations);
  w.EmptyTaggedFields(flex);
}

// ---- CreateTopics ----

Result<CreateTopicsRequest> CreateTopicsRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<CreateTopicsRequest>(version));
  const bool flex = Flexible<CreateTopicsRequest>(version);
  CreateTopicsRequest m;
  m.topics = ReadArray(r, flex, [flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.num_partitions = r.Int32();
    t.replication_factor = r.Int16();
    t.assignments = ReadArray(r, flex, [flex](Reader& r) {
      Assignment a;
      a.partition_index = r.Int32();
      a.broker_ids = ReadInt32Array(r, flex);
      r.SkipTaggedFields(flex);
      return a;
    });
    t.configs = ReadArray(r, flex, [flex](Reader& r) {
      Config c;
      c.name = r.String(flex);
      c.value = r.NullableString(flex);
      r.SkipTaggedFields(flex);
      return c;
    });
    r.SkipTaggedFields(flex);
    return t;
  });
  m.timeout_ms = r.Int32();
  if (version >= 1) m.validate_only = r.Bool();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void CreateTopicsRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<CreateTopicsRequest>(version);
  const bool flex = Flexible<CreateTopicsRequest>(version);
  WriteArray(w, topics, flex, [flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    w.Int32(t.num_partitions);
    w.Int16(t.replication_factor);
    WriteArray(w, t.assignments, flex, [flex](Writer& w, const Assignment& a) {
      w.Int32(a.partition_index);
      WriteInt32Array(w, a.broker_ids, flex);
      w.EmptyTaggedFields(flex);
    });
    WriteArray(w, t.configs, flex, [flex](Writer& w, const Config& c) {
      w.String(c.name, flex);
      w.NullableString(c.value, flex);
      w.EmptyTaggedFields(flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.Int32(timeout_ms);
  if (version >= 1) w.Bool(validate_only);
  w.EmptyTaggedFields(flex);
}

Result<CreateTopicsResponse> CreateTopicsResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<CreateTopicsResponse>(version));
  const bool flex = Flexible<CreateTopicsResponse>(version);
  CreateTopicsResponse m;
  if (version >= 2) m.throttle_time_ms = r.Int32();
  m.topics = ReadArray(r, flex, [version, flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.error_code = ReadErrorCode(r);
    if (version >= 1) t.error_message = r.NullableString(flex);
    r.SkipTaggedFields(flex);
    return t;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void CreateTopicsResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<CreateTopicsResponse>(version);
  const bool flex = Flexible<CreateTopicsResponse>(version);
  if (version >= 2) w.Int32(throttle_time_ms);
  WriteArray(w, topics, flex, [version, flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteErrorCode(w, t.error_code);
    if (version >= 1) w.NullableString(t.error_message, flex);
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

// ---- DeleteTopics ----

Result<DeleteTopicsRequest> DeleteTopicsRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<DeleteTopicsRequest>(version));
  const bool flex = Flexible<DeleteTopicsRequest>(version);
  DeleteTopicsRequest m;
  m.topic_names = ReadStringArray(r, flex);
  m.timeout_ms = r.Int32();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void DeleteTopicsRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<DeleteTopicsRequest>(version);
  const bool flex = Flexible<DeleteTopicsRequest>(version);
  WriteStringArray(w, topic_names, flex);
  w.Int32(timeout_ms);
  w.EmptyTaggedFields(flex);
}

Result<DeleteTopicsResponse> DeleteTopicsResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<DeleteTopicsResponse>(version));
  const bool flex = Flexible<DeleteTopicsResponse>(version);
  DeleteTopicsResponse m;
  if (version >= 1) m.throttle_time_ms = r.Int32();
  m.topics = ReadArray(r, flex, [flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.error_code = ReadErrorCode(r);
    r.SkipTaggedFields(flex);
    return t;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void DeleteTopicsResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<DeleteTopicsResponse>(version);
  const bool flex = Flexible<DeleteTopicsResponse>(version);
  if (version >= 1) w.Int32(throttle_time_ms);
  WriteArray(w, topics, flex, [flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteErrorCode(w, t.error_code);
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

// ---- DescribeConfigs ----

Result<DescribeConfigsRequest> DescribeConfigsRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<DescribeConfigsRequest>(version));
  const bool flex = Flexible<DescribeConfigsRequest>(version);
  DescribeConfigsRequest m;
  m.resources = ReadArray(r, flex, [flex](Reader& r) {
    Resource res;
    res.resource_type = static_cast<ConfigResourceType>(r.Int8());
    res.resource_name = r.String(flex);
    res.configuration_keys =
        ReadNullableArray(r, flex, [flex](Reader& r) { return r.String(flex); });
    r.SkipTaggedFields(flex);
    return res;
  });
  if (version >= 1) m.include_synonyms = r.Bool();
  if (version >= 3) m.include_documentation = r.Bool();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void DescribeConfigsRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<DescribeConfigsRequest>(version);
  const bool flex = Flexible<DescribeConfigsRequest>(version);
  WriteArray(w, resources, flex, [flex](Writer& w, const Resource& res) {
    w.Int8(static_cast<int8_t>(res.resource_type));
    w.String(res.resource_name, flex);
    WriteNullableArray(w, res.configuration_keys, flex,
                       [flex](Writer& w, const std::string& k) { w.String(k, flex); });
    w.EmptyTaggedFields(flex);
  });
  if (version >= 1) w.Bool(include_synonyms);
  if (version >= 3) w.Bool(include_documentation);
  w.EmptyTaggedFields(flex);
}

namespace {

using DescribedConfig = DescribeConfigsResponse::Config;

DescribedConfig ReadDescribedConfig(Reader& r, int16_t version, bool flex) {
  DescribedConfig c;
  c.name = r.String(flex);
  c.value = r.NullableString(flex);
  c.read_only = r.Bool();
  if (version == 0) c.is_default = r.Bool();
  if (version >= 1) c.config_source = static_cast<ConfigSource>(r.Int8());
  c.is_sensitive = r.Bool();
  if (version >= 1) {
    c.synonyms = ReadArray(r, flex, [flex](Reader& r) {
      DescribeConfigsResponse::Synonym s;
      s.name = r.String(flex);
      s.value = r.NullableString(flex);
      s.source = static_cast<ConfigSource>(r.Int8());
      r.SkipTaggedFields(flex);
      return s;
    });
  }
  if (version >= 3) {
    c.config_type = r.Int8();
    c.documentation = r.NullableString(flex);
  }
  r.SkipTaggedFields(flex);
  return c;
}

void WriteDescribedConfig(Writer& w, const DescribedConfig& c, int16_t version, bool flex) {
  w.String(c.name, flex);
  w.NullableString(c.value, flex);
  w.Bool(c.read_only);
  if (version == 0) w.Bool(c.is_default);
  if (version >= 1) w.Int8(static_cast<int8_t>(c.config_source));
  w.Bool(c.is_sensitive);
  if (version >= 1) {
    WriteArray(w, c.synonyms, flex, [flex](Writer& w, const DescribeConfigsResponse::Synonym& s) {
      w.String(s.name, flex);
      w.NullableString(s.value, flex);
      w.Int8(static_cast<int8_t>(s.source));
      w.EmptyTaggedFields(flex);
    });
  }
  if (version >= 3) {
    w.Int8(c.config_type);
    w.NullableString(c.documentation, flex);
  }
  w.EmptyTaggedFields(flex);
}

}  // namespace

Result<DescribeConfigsResponse> DescribeConfigsResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<DescribeConfigsResponse>(version));
  const bool flex = Flexible<DescribeConfigsResponse>(version);
  DescribeConfigsResponse m;
  m.throttle_time_ms = r.Int32();
  m.results = ReadArray(r, flex, [version, flex](Reader& r) {
    ResourceResult res;
    res.error_code = ReadErrorCode(r);
    res.error_message = r.NullableString(flex);
    res.resource_type = static_cast<ConfigResourceType>(r.Int8());
    res.resource_name = r.String(flex);
    res.configs = ReadArray(
        r, flex, [version, flex](Reader& r) { return ReadDescribedConfig(r, version, flex); });
    r.SkipTaggedFields(flex);
    return res;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void DescribeConfigsResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<DescribeConfigsResponse>(version);
  const bool flex = Flexible<DescribeConfigsResponse>(version);
  w.Int32(throttle_time_ms);
  WriteArray(w, results, flex, [version, flex](Writer& w, const ResourceResult& res) {
    WriteErrorCode(w, res.error_code);
    w.NullableString(res.error_message, flex);
    w.Int8(static_cast<int8_t>(res.resource_type));
    w.String(res.resource_name, flex);
    WriteArray(w, res.configs, flex, [version, flex](Writer& w, const DescribedConfig& c) {
      WriteDescribedConfig(w, c, version, flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

}  // namespace corelog::kafka
