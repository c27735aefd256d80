#include "broker/kafka/header.h"

#include "common/coding.h"

namespace corelog::kafka {

int16_t RequestHeaderVersion(int16_t api_key, int16_t api_version) {
  return IsFlexible(api_key, api_version) ? 2 : 1;
}

int16_t ResponseHeaderVersion(int16_t api_key, int16_t api_version) {
  if (api_key == static_cast<int16_t>(ApiKey::kApiVersions)) return 0;
  return IsFlexible(api_key, api_version) ? 1 : 0;
}

Result<RequestHeader> DecodeRequestHeader(Reader& r) {
  RequestHeader h;
  h.api_key = r.Int16();
  h.api_version = r.Int16();
  h.correlation_id = r.Int32();
  h.client_id = r.NullableString(/*compact=*/false);
  r.SkipTaggedFields(RequestHeaderVersion(h.api_key, h.api_version) >= 2);
  CORELOG_TRY(r.status());
  return h;
}

void EncodeRequestHeader(Writer& w, const RequestHeader& h) {
  w.Int16(h.api_key);
  w.Int16(h.api_version);
  w.Int32(h.correlation_id);
  w.NullableString(h.client_id, /*compact=*/false);
  w.EmptyTaggedFields(RequestHeaderVersion(h.api_key, h.api_version) >= 2);
}

void EncodeResponseHeader(Writer& w, int32_t correlation_id, int16_t header_version) {
  w.Int32(correlation_id);
  w.EmptyTaggedFields(header_version >= 1);
}

Result<int32_t> DecodeResponseHeader(Reader& r, int16_t header_version) {
  int32_t correlation_id = r.Int32();
  r.SkipTaggedFields(header_version >= 1);
  CORELOG_TRY(r.status());
  return correlation_id;
}

Result<RequestFrame> ParseRequestFrame(std::string_view frame) {
  Reader r(frame);
  CORELOG_ASSIGN_OR_RETURN(RequestHeader header, DecodeRequestHeader(r));
  return RequestFrame{std::move(header), frame.substr(r.position())};
}

int32_t FrameSize(std::string_view first_four_bytes) {
  CORELOG_CHECK(first_four_bytes.size() >= 4, "frame size needs four bytes");
  return DecodeBE<int32_t>(first_four_bytes.data());
}

}  // namespace corelog::kafka
