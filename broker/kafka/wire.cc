#include "broker/kafka/wire.h"

#include <limits>

#include "broker/kafka/errors.h"
#include "common/check.h"
#include "common/coding.h"

namespace corelog::kafka {

Status Reader::status() const {
  if (ok()) return Ok();
  return MakeError(ErrorCode::kInvalidRequest, error_);
}

void Reader::Fail(std::string_view what) {
  if (!ok()) return;
  error_ = "malformed input at byte " + std::to_string(pos_) + ": " + std::string(what);
}

bool Reader::NeedFailed(size_t n, std::string_view what) {
  if (!ok()) return false;
  Fail(std::string(what) + " needs " + std::to_string(n) + " bytes, " +
       std::to_string(remaining()) + " left");
  return false;
}

namespace {

template <class T>
T ReadFixed(std::string_view data, size_t* pos) {
  T v = DecodeBE<T>(data.data() + *pos);
  *pos += sizeof(T);
  return v;
}

}  // namespace

int16_t Reader::Int16() { return Need(2, "int16") ? ReadFixed<int16_t>(data_, &pos_) : 0; }
int32_t Reader::Int32() { return Need(4, "int32") ? ReadFixed<int32_t>(data_, &pos_) : 0; }
int64_t Reader::Int64() { return Need(8, "int64") ? ReadFixed<int64_t>(data_, &pos_) : 0; }
uint32_t Reader::Uint32() { return Need(4, "uint32") ? ReadFixed<uint32_t>(data_, &pos_) : 0; }
bool Reader::Bool() { return Int8() != 0; }

Uuid Reader::ReadUuid() {
  Uuid id;
  if (!Need(16, "uuid")) return id;
  for (auto& b : id.bytes) b = static_cast<uint8_t>(data_[pos_++]);
  return id;
}

// Kafka's varints are LEB128: 7 bits per byte, low group first. A 32-bit
// value takes at most 5 bytes and a 64-bit one 10; longer is malformed.
uint64_t Reader::ReadLongVarint(int max_bytes, std::string_view what) {
  uint64_t value = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (!Need(1, what)) return 0;
    auto byte = static_cast<uint8_t>(data_[pos_++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) return value;
  }
  Fail(std::string(what) + " longer than " + std::to_string(max_bytes) + " bytes");
  return 0;
}

uint32_t Reader::UnsignedVarint() {
  uint64_t v = ReadVarint(5, "unsigned varint");
  if (v > std::numeric_limits<uint32_t>::max()) {
    Fail("unsigned varint overflows 32 bits");
    return 0;
  }
  return static_cast<uint32_t>(v);
}


int64_t Reader::Length(bool compact, bool wide, std::string_view what) {
  int64_t n;
  if (compact) {
    n = static_cast<int64_t>(UnsignedVarint()) - 1;
  } else {
    n = wide ? Int32() : Int16();
  }
  if (!ok()) return 0;
  if (n < -1) {
    Fail("negative " + std::string(what) + " length " + std::to_string(n));
    return 0;
  }
  return n;
}

std::string_view Reader::StringView(bool compact) {
  int64_t n = Length(compact, /*wide=*/false, "string");
  if (n <= 0) return {};
  return Raw(static_cast<size_t>(n));
}

std::optional<std::string> Reader::NullableString(bool compact) {
  int64_t n = Length(compact, /*wide=*/false, "string");
  if (n < 0) return std::nullopt;
  if (n == 0) return std::string();
  std::string_view v = Raw(static_cast<size_t>(n));
  return std::string(v);
}

std::string_view Reader::Bytes(bool compact) {
  int64_t n = Length(compact, /*wide=*/true, "bytes");
  if (n <= 0) return {};
  return Raw(static_cast<size_t>(n));
}

std::optional<std::string_view> Reader::NullableBytes(bool compact) {
  int64_t n = Length(compact, /*wide=*/true, "bytes");
  if (n < 0) return std::nullopt;
  if (n == 0) return std::string_view();
  return Raw(static_cast<size_t>(n));
}

int32_t Reader::ArrayLength(bool compact, size_t min_element_bytes) {
  int64_t n = Length(compact, /*wide=*/true, "array");
  if (n > 0 && static_cast<uint64_t>(n) > remaining() / min_element_bytes) {
    Fail("array count " + std::to_string(n) + " exceeds the " + std::to_string(remaining()) +
         " bytes left");
    return 0;
  }
  if (!ok()) return 0;
  return static_cast<int32_t>(n);
}

void Reader::SkipTaggedFields(bool flexible) {
  if (!flexible) return;
  uint32_t count = UnsignedVarint();
  for (uint32_t i = 0; i < count && ok(); ++i) {
    UnsignedVarint();  // tag
    uint32_t size = UnsignedVarint();
    Raw(size);
  }
}

void Writer::Int8(int8_t v) { out_->push_back(static_cast<char>(v)); }
void Writer::Int16(int16_t v) { AppendBE(out_, v); }
void Writer::Int32(int32_t v) { AppendBE(out_, v); }
void Writer::Int64(int64_t v) { AppendBE(out_, v); }
void Writer::Uint32(uint32_t v) { AppendBE(out_, v); }

void Writer::WriteUuid(const Uuid& v) {
  for (uint8_t b : v.bytes) out_->push_back(static_cast<char>(b));
}

namespace {

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

}  // namespace

void Writer::UnsignedVarint(uint32_t v) { AppendVarint(out_, v); }

void Writer::Varint(int32_t v) {
  auto u = static_cast<uint32_t>(v);
  AppendVarint(out_, (u << 1) ^ static_cast<uint32_t>(v >> 31));
}

void Writer::Varlong(int64_t v) {
  auto u = static_cast<uint64_t>(v);
  AppendVarint(out_, (u << 1) ^ static_cast<uint64_t>(v >> 63));
}

void Writer::String(std::string_view s, bool compact) {
  // Classic strings carry an int16 length; compact ones a varint.
  CORELOG_CHECK(compact || s.size() <= static_cast<size_t>(std::numeric_limits<int16_t>::max()),
                "string longer than 32767 bytes");
  CORELOG_CHECK(s.size() < static_cast<size_t>(std::numeric_limits<int32_t>::max()),
                "string of 2 GiB or more");
  if (compact) {
    UnsignedVarint(static_cast<uint32_t>(s.size() + 1));
  } else {
    Int16(static_cast<int16_t>(s.size()));
  }
  out_->append(s);
}

void Writer::NullableString(const std::optional<std::string>& s, bool compact) {
  if (s) return String(*s, compact);
  if (compact) {
    UnsignedVarint(0);
  } else {
    Int16(-1);
  }
}

void Writer::BytesLength(size_t n, bool compact) {
  CORELOG_CHECK(n < static_cast<size_t>(std::numeric_limits<int32_t>::max()),
                "bytes field of 2 GiB or more");
  if (compact) {
    UnsignedVarint(static_cast<uint32_t>(n + 1));
  } else {
    Int32(static_cast<int32_t>(n));
  }
}

void Writer::Bytes(std::string_view b, bool compact) {
  BytesLength(b.size(), compact);
  out_->append(b);
}

void Writer::LargeBytes(std::string_view b, bool compact) {
  if (splices_ == nullptr || b.size() < kMinSplice) return Bytes(b, compact);
  BytesLength(b.size(), compact);
  splices_->push_back({out_->size(), b});
  spliced_bytes_ += b.size();
}

std::string JoinSplices(std::string_view buffer, const std::vector<Splice>& splices) {
  std::string out;
  size_t from = 0;
  for (const Splice& s : splices) {
    out.append(buffer.substr(from, s.at - from));
    out.append(s.bytes);
    from = s.at;
  }
  out.append(buffer.substr(from));
  return out;
}

void Writer::NullableBytes(std::optional<std::string_view> b, bool compact) {
  if (b) return Bytes(*b, compact);
  if (compact) {
    UnsignedVarint(0);
  } else {
    Int32(-1);
  }
}

void Writer::ArrayLength(size_t n, bool compact) {
  CORELOG_CHECK(n < static_cast<size_t>(std::numeric_limits<int32_t>::max()),
                "array of 2^31 elements or more");
  if (compact) {
    UnsignedVarint(static_cast<uint32_t>(n + 1));
  } else {
    Int32(static_cast<int32_t>(n));
  }
}

void Writer::NullArray(bool compact) {
  if (compact) {
    UnsignedVarint(0);
  } else {
    Int32(-1);
  }
}

void Writer::EmptyTaggedFields(bool flexible) {
  if (flexible) UnsignedVarint(0);
}

size_t Writer::ReserveInt32() {
  size_t at = out_->size();
  out_->append(4, '\0');
  return at;
}

void Writer::PatchInt32(size_t at, int32_t v) {
  CORELOG_CHECK(at + 4 <= out_->size(), "patch outside the written bytes");
  EncodeBE(out_->data() + at, v);
}

void WriteInt32Array(Writer& w, const std::vector<int32_t>& v, bool compact) {
  WriteArray(w, v, compact, [](Writer& w, int32_t x) { w.Int32(x); });
}

std::vector<int32_t> ReadInt32Array(Reader& r, bool compact) {
  return ReadArray(r, compact, [](Reader& r) { return r.Int32(); });
}

void WriteStringArray(Writer& w, const std::vector<std::string>& v, bool compact) {
  WriteArray(w, v, compact, [compact](Writer& w, const std::string& s) { w.String(s, compact); });
}

std::vector<std::string> ReadStringArray(Reader& r, bool compact) {
  return ReadArray(r, compact, [compact](Reader& r) { return r.String(compact); });
}

}  // namespace corelog::kafka
