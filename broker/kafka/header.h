// Kafka request and response headers and the framing around them. A frame
// on the wire is an int32 size followed by header and body. Request header
// v1 = api_key, api_version, correlation_id, client_id (int16 nullable
// string); v2 adds a tagged-field section after client_id, which stays
// non-compact. Response header v0 = correlation_id; v1 adds tagged fields.
// ApiVersions responses always use header v0 (KIP-511), so a client that
// sent a version we don't know can still read our answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/kafka/api.h"
#include "broker/kafka/wire.h"
#include "common/check.h"
#include "common/coding.h"
#include "common/result.h"

namespace corelog::kafka {

struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
  bool operator==(const RequestHeader&) const = default;
};

// 2 for flexible (api, version) pairs, else 1. (Header v0, without
// client_id, belongs to ControlledShutdown v0 only, which corelog lacks.)
int16_t RequestHeaderVersion(int16_t api_key, int16_t api_version);
// 0 for every ApiVersions response and for non-flexible versions, else 1.
int16_t ResponseHeaderVersion(int16_t api_key, int16_t api_version);

// Decodes a request header; its version follows from the api key and
// version it starts with. For an api key not in our table the header is
// read as v1, enough to log it and close the connection.
Result<RequestHeader> DecodeRequestHeader(Reader& r);
void EncodeRequestHeader(Writer& w, const RequestHeader& h);

void EncodeResponseHeader(Writer& w, int32_t correlation_id, int16_t header_version);
Result<int32_t> DecodeResponseHeader(Reader& r, int16_t header_version);

// A request frame after its 4-byte size: the decoded header and a view of
// the body that follows it (into the caller's buffer).
struct RequestFrame {
  RequestHeader header;
  std::string_view body;
};
Result<RequestFrame> ParseRequestFrame(std::string_view frame);

// The size an incoming frame announces in its first four bytes, once at
// least four bytes are available.
int32_t FrameSize(std::string_view first_four_bytes);

// Frame size, correlation id and an empty tagged-field section.
inline constexpr size_t kMaxResponseHeaderSize = 4 + 4 + 1;

// A complete response frame (size, header, body) for the request `req`.
// ApiVersions responses to a version we don't support get header v0 and a
// v0 body regardless of `api_version`. Given `splices`, the body's large
// byte fields stay in `body` and are listed there (see Writer); the frame
// is then the returned bytes with the splices sent in between.
template <class Response>
std::string EncodeResponseFrame(const RequestHeader& req, const Response& body,
                                std::vector<Splice>* splices = nullptr) {
  CORELOG_CHECK(static_cast<int16_t>(Response::kApiKey) == req.api_key, "response for another api");
  std::string out;
  // Sized once when the body can tell its size: a fetch response of many
  // megabytes would otherwise be copied into fresh memory at each doubling.
  if constexpr (requires { body.EncodedSizeBound(); }) {
    if (splices == nullptr) out.reserve(kMaxResponseHeaderSize + body.EncodedSizeBound());
  }
  Writer w(&out, splices);
  size_t size_at = w.ReserveInt32();
  EncodeResponseHeader(w, req.correlation_id, ResponseHeaderVersion(req.api_key, req.api_version));
  int16_t body_version = req.api_version;
  if (Response::kApiKey == ApiKey::kApiVersions && !IsSupported(req.api_key, body_version)) {
    body_version = 0;
  }
  body.Encode(w, body_version);
  w.PatchInt32(size_at, static_cast<int32_t>(out.size() - 4 + w.spliced_bytes()));
  return out;
}

// A complete request frame, for clients and tests.
template <class Request>
std::string EncodeRequestFrame(int16_t api_version, int32_t correlation_id,
                               const std::optional<std::string>& client_id, const Request& body) {
  std::string out;
  Writer w(&out);
  size_t size_at = w.ReserveInt32();
  EncodeRequestHeader(w, RequestHeader{static_cast<int16_t>(Request::kApiKey), api_version,
                                       correlation_id, client_id});
  body.Encode(w, api_version);
  w.PatchInt32(size_at, static_cast<int32_t>(out.size() - 4));
  return out;
}

// A decoded response frame (after its 4-byte size), for clients and tests.
template <class Response>
struct ResponseFrame {
  int32_t correlation_id = 0;
  Response body;
};

// Decodes a response to a request of `api_version`. An ApiVersions answer
// carrying UNSUPPORTED_VERSION is read as v0, the form brokers use for it.
template <class Response>
Result<ResponseFrame<Response>> DecodeResponseFrame(std::string_view frame, int16_t api_version) {
  const auto key = static_cast<int16_t>(Response::kApiKey);
  Reader r(frame);
  CORELOG_ASSIGN_OR_RETURN(int32_t correlation_id,
                           DecodeResponseHeader(r, ResponseHeaderVersion(key, api_version)));
  if (Response::kApiKey == ApiKey::kApiVersions && r.remaining() >= 2 &&
      DecodeBE<int16_t>(frame.data() + r.position()) == 35) {
    api_version = 0;
  }
  CORELOG_ASSIGN_OR_RETURN(Response body, Response::Decode(r, api_version));
  return ResponseFrame<Response>{correlation_id, std::move(body)};
}

}  // namespace corelog::kafka
