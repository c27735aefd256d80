// Kafka wire primitives: a bounds-checked Reader over one received buffer and
// a Writer that appends to a std::string. Both speak the classic encodings
// (big-endian ints, int16-length strings, int32-length bytes and arrays) and
// the flexible ones of KIP-482 (unsigned varint N+1 lengths, tagged-field
// sections); every length-carrying call takes `compact` to pick one. Record
// varints (zigzag, signed) are here too, because RecordBatch v2 uses them.
// Formats: /work/shared/design/KAFKA.md and apache/kafka's message schemas.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace corelog::kafka {

struct Uuid {
  std::array<uint8_t, 16> bytes{};
  bool operator==(const Uuid&) const = default;
};

// Reads from a buffer it does not own. Errors are sticky: the first failed
// read records what failed and where, every later read returns a zero value
// without consuming input, and status() reports the first failure. Decoders
// therefore read a whole structure and check once. No read ever touches a
// byte outside the buffer, and no length or count read from the input makes
// the Reader (or the array helpers below) allocate more than the input could
// hold. Views it returns point into the caller's buffer.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return error_.empty(); }
  // Ok, or an INVALID_REQUEST error naming the first failed read.
  Status status() const;
  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  int8_t Int8();
  int16_t Int16();
  int32_t Int32();
  int64_t Int64();
  uint32_t Uint32();
  bool Bool();
  Uuid ReadUuid();
  uint32_t UnsignedVarint();
  int32_t Varint();   // zigzag
  int64_t Varlong();  // zigzag

  // Classic: int16 length, -1 = null. Compact: unsigned varint length+1,
  // 0 = null. A null read by String() or StringView() yields "".
  std::string_view StringView(bool compact);
  std::string String(bool compact) { return std::string(StringView(compact)); }
  std::optional<std::string> NullableString(bool compact);

  // Classic: int32 length, -1 = null. Compact: unsigned varint length+1.
  std::string_view Bytes(bool compact);
  std::optional<std::string_view> NullableBytes(bool compact);
  // The next n bytes.
  std::string_view Raw(size_t n);

  // An array's element count: int32 (classic) or unsigned varint N+1
  // (compact); -1 means null. Fails when the count is below -1 or when
  // count * min_element_bytes exceeds what is left, so a forged count can't
  // drive a large loop or allocation.
  int32_t ArrayLength(bool compact, size_t min_element_bytes = 1);

  // A tagged-field section (flexible versions only; a no-op otherwise).
  // corelog reads no tagged field yet, so every tag is skipped.
  void SkipTaggedFields(bool flexible);

  // Marks the reader failed (if it is not already) with `what`.
  void Fail(std::string_view what);

 private:
  // True when n more bytes are available; otherwise fails with `what`.
  // Inline, as are short varints: a batch of small records makes several of
  // these calls per record.
  bool Need(size_t n, std::string_view what) {
    if (ok() && n <= remaining()) [[likely]] return true;
    return NeedFailed(n, what);
  }
  bool NeedFailed(size_t n, std::string_view what);
  // Reads a length for a nullable string/bytes: -1 for null.
  int64_t Length(bool compact, bool wide, std::string_view what);
  // Varints of one and two bytes (lengths and deltas below 8192) are read
  // here; longer ones, and a two-byte one cut off by the end of the input,
  // by ReadLongVarint. A record without headers ends in a one-byte varint,
  // so that one must not need a byte after it.
  uint64_t ReadVarint(int max_bytes, std::string_view what) {
    if (ok() && pos_ < data_.size()) [[likely]] {
      auto first = static_cast<uint8_t>(data_[pos_]);
      if ((first & 0x80) == 0) {
        pos_ += 1;
        return first;
      }
      if (pos_ + 1 < data_.size()) {
        auto second = static_cast<uint8_t>(data_[pos_ + 1]);
        if ((second & 0x80) == 0) {
          pos_ += 2;
          return (first & 0x7fu) | (static_cast<uint64_t>(second) << 7);
        }
      }
    }
    return ReadLongVarint(max_bytes, what);
  }
  uint64_t ReadLongVarint(int max_bytes, std::string_view what);

  std::string_view data_;
  size_t pos_ = 0;
  std::string error_;
};

// The reads a record walk makes several times per record, inline.
inline int8_t Reader::Int8() {
  if (!Need(1, "int8")) return 0;
  return static_cast<int8_t>(data_[pos_++]);
}

inline int32_t Reader::Varint() {
  uint64_t v = ReadVarint(5, "varint");
  if (v > 0xffffffffu) [[unlikely]] {
    Fail("varint overflows 32 bits");
    return 0;
  }
  auto u = static_cast<uint32_t>(v);
  return static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

inline int64_t Reader::Varlong() {
  uint64_t u = ReadVarint(10, "varlong");
  return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

inline std::string_view Reader::Raw(size_t n) {
  if (!Need(n, "raw bytes")) return {};
  std::string_view v = data_.substr(pos_, n);
  pos_ += n;
  return v;
}

// Bytes a frame sends from where they already are rather than from the
// Writer's buffer: they go out right after the buffer's first `at` bytes.
struct Splice {
  size_t at;
  std::string_view bytes;
};

// The bytes a buffer and its splices send, in one string.
std::string JoinSplices(std::string_view buffer, const std::vector<Splice>& splices);

// Appends to a std::string owned by the caller, which may already hold bytes
// (a size prefix, a header). Given a splice list, LargeBytes leaves large
// fields where they are and lists them there instead of copying them.
class Writer {
 public:
  explicit Writer(std::string* out, std::vector<Splice>* splices = nullptr)
      : out_(out), splices_(splices) {}

  // Fields smaller than this are copied even with a splice list: one more
  // piece to send costs more than copying a few kilobytes.
  static constexpr size_t kMinSplice = 4096;

  std::string* buffer() { return out_; }
  size_t size() const { return out_->size(); }
  // Bytes written as splices, which the buffer does not hold.
  size_t spliced_bytes() const { return spliced_bytes_; }

  void Int8(int8_t v);
  void Int16(int16_t v);
  void Int32(int32_t v);
  void Int64(int64_t v);
  void Uint32(uint32_t v);
  void Bool(bool v) { Int8(v ? 1 : 0); }
  void WriteUuid(const Uuid& v);
  void UnsignedVarint(uint32_t v);
  void Varint(int32_t v);   // zigzag
  void Varlong(int64_t v);  // zigzag

  void String(std::string_view s, bool compact);
  void NullableString(const std::optional<std::string>& s, bool compact);
  void Bytes(std::string_view b, bool compact);
  void NullableBytes(std::optional<std::string_view> b, bool compact);
  // A bytes field that may run to megabytes (a fetch's record batches).
  // With a splice list the caller must keep `b` alive until the frame is
  // sent.
  void LargeBytes(std::string_view b, bool compact);
  void Raw(std::string_view b) { out_->append(b); }

  void ArrayLength(size_t n, bool compact);
  void NullArray(bool compact);
  // An empty tagged-field section (flexible versions only).
  void EmptyTaggedFields(bool flexible);

  // Reserves four bytes for an int32 filled in later by PatchInt32, e.g. a
  // frame size or a batch length known only once the body is written.
  size_t ReserveInt32();
  void PatchInt32(size_t at, int32_t v);

 private:
  void BytesLength(size_t n, bool compact);

  std::string* out_;
  std::vector<Splice>* splices_;
  size_t spliced_bytes_ = 0;
};

// Reads an array whose elements `read_one(Reader&)` decodes. A null array
// yields an empty vector. The loop stops at the first error, so memory grows
// only with input actually consumed.
template <class F>
auto ReadArray(Reader& r, bool compact, F&& read_one) {
  std::vector<decltype(read_one(r))> out;
  int32_t n = r.ArrayLength(compact);
  for (int32_t i = 0; i < n && r.ok(); ++i) out.push_back(read_one(r));
  return out;
}

template <class F>
auto ReadNullableArray(Reader& r, bool compact, F&& read_one)
    -> std::optional<std::vector<decltype(read_one(r))>> {
  std::vector<decltype(read_one(r))> out;
  int32_t n = r.ArrayLength(compact);
  if (n < 0) return std::nullopt;
  for (int32_t i = 0; i < n && r.ok(); ++i) out.push_back(read_one(r));
  return out;
}

template <class T, class F>
void WriteArray(Writer& w, const std::vector<T>& items, bool compact, F&& write_one) {
  w.ArrayLength(items.size(), compact);
  for (const T& item : items) write_one(w, item);
}

template <class T, class F>
void WriteNullableArray(Writer& w, const std::optional<std::vector<T>>& items, bool compact,
                        F&& write_one) {
  if (!items) return w.NullArray(compact);
  WriteArray(w, *items, compact, write_one);
}

// The scalar arrays the messages use.
void WriteInt32Array(Writer& w, const std::vector<int32_t>& v, bool compact);
std::vector<int32_t> ReadInt32Array(Reader& r, bool compact);
void WriteStringArray(Writer& w, const std::vector<std::string>& v, bool compact);
std::vector<std::string> ReadStringArray(Reader& r, bool compact);

}  // namespace corelog::kafka
