#include "wal/format.h"

#include <cstring>

#include "common/coding.h"
#include "common/copy.h"
#include "common/crc32c.h"
#include "wal/errc.h"

namespace corelog::wal {
namespace {

constexpr size_t kHeaderCrcOffset = 52;
constexpr uint32_t kHeaderReusedFlag = 1;  // in the flags word at byte 48
constexpr size_t kDataPrefixSize = 12;
constexpr size_t kRecordPrefixSize = 2;

bool IsKnownKind(uint8_t kind) { return kind >= 1 && kind <= 3; }

// The CRC of an entry covers everything after the CRC field, so a zero
// length or a zero kind is as protected as the payload.
uint32_t EntryCrc(std::string_view header_tail, std::string_view payload,
                  std::optional<KnownCrc> known = std::nullopt) {
  uint32_t crc = crc32c::Value(header_tail.data(), header_tail.size());
  if (!known || known->from > payload.size()) {
    return crc32c::Extend(crc, payload.data(), payload.size());
  }
  crc = crc32c::Extend(crc, payload.data(), known->from);
  return crc32c::Combine(crc, known->crc, payload.size() - known->from);
}

ParsedEntry Fail(ParseOutcome outcome, const char* problem) {
  ParsedEntry p;
  p.outcome = outcome;
  p.problem = problem;
  return p;
}

const char* CheckBody(uint8_t kind, uint32_t body) {
  if (kind == static_cast<uint8_t>(EntryKind::kData) && body < kDataPrefixSize) {
    return "data entry shorter than its partition and offset";
  }
  if (kind == static_cast<uint8_t>(EntryKind::kRecord) && body < kRecordPrefixSize) {
    return "record entry shorter than its type";
  }
  if (kind == static_cast<uint8_t>(EntryKind::kBarrier) && body != 0) {
    return "barrier entry with a body";
  }
  if (!IsKnownKind(kind) && (kind & kSkippableKindBit) == 0) return "unknown entry kind";
  return nullptr;
}

void DecodePrefix(const char* p, ParsedEntry* out) {
  uint8_t kind = out->fields.kind;
  if (kind == static_cast<uint8_t>(EntryKind::kData)) {
    out->fields.partition_id = DecodeLE<uint32_t>(p);
    out->fields.base_offset = DecodeLE<int64_t>(p + 4);
  } else if (kind == static_cast<uint8_t>(EntryKind::kRecord)) {
    out->fields.record_type = DecodeLE<uint16_t>(p);
  }
}

}  // namespace

const char* ToString(EntryKind kind) {
  switch (kind) {
    case EntryKind::kData: return "data";
    case EntryKind::kBarrier: return "barrier";
    case EntryKind::kRecord: return "record";
  }
  return "unknown";
}

const char* ToString(ParseOutcome outcome) {
  switch (outcome) {
    case ParseOutcome::kOk: return "ok";
    case ParseOutcome::kShort: return "short entry";
    case ParseOutcome::kChecksum: return "checksum mismatch";
    case ParseOutcome::kMalformed: return "malformed entry";
  }
  return "unknown";
}

size_t BodyPrefixSize(uint8_t kind) {
  if (kind == static_cast<uint8_t>(EntryKind::kData)) return kDataPrefixSize;
  if (kind == static_cast<uint8_t>(EntryKind::kRecord)) return kRecordPrefixSize;
  return 0;
}

void EncodeSegmentHeader(const SegmentHeader& h, char* dst) {
  std::memcpy(dst, kSegmentMagic, sizeof(kSegmentMagic));
  EncodeLE<uint16_t>(dst + 8, h.reused ? kReusedFormatVersion : kFormatVersion);
  EncodeLE<uint16_t>(dst + 10, static_cast<uint16_t>(kSegmentHeaderSize));
  EncodeLE<uint32_t>(dst + 12, h.core_id);
  EncodeLE<uint64_t>(dst + 16, h.segment_number);
  EncodeLE<uint64_t>(dst + 24, h.base_position);
  EncodeLE<uint64_t>(dst + 32, h.base_epoch);
  EncodeLE<uint64_t>(dst + 40, h.base_sequence);
  EncodeLE<uint32_t>(dst + 48, h.reused ? kHeaderReusedFlag : 0);
  EncodeLE<uint32_t>(dst + kHeaderCrcOffset, crc32c::Mask(crc32c::Value(dst, kHeaderCrcOffset)));
}

std::string EncodeSegmentHeader(const SegmentHeader& header) {
  std::string out(kSegmentHeaderSize, '\0');
  EncodeSegmentHeader(header, out.data());
  return out;
}

Result<SegmentHeader> DecodeSegmentHeader(std::string_view b) {
  auto bad = [](const std::string& why) { return MakeError(Errc::kCorruption, why); };
  if (b.size() < kSegmentHeaderSize) return bad("segment header is short");
  if (std::memcmp(b.data(), kSegmentMagic, sizeof(kSegmentMagic)) != 0) {
    return bad("bad segment magic");
  }
  uint32_t stored = crc32c::Unmask(DecodeLE<uint32_t>(b.data() + kHeaderCrcOffset));
  if (stored != crc32c::Value(b.data(), kHeaderCrcOffset)) return bad("segment header checksum mismatch");
  uint16_t version = DecodeLE<uint16_t>(b.data() + 8);
  if (version != kFormatVersion && version != kReusedFormatVersion) {
    return bad("unsupported format version " + std::to_string(version));
  }
  if (DecodeLE<uint16_t>(b.data() + 10) != kSegmentHeaderSize) return bad("bad segment header size");
  SegmentHeader h;
  h.core_id = DecodeLE<uint32_t>(b.data() + 12);
  h.segment_number = DecodeLE<uint64_t>(b.data() + 16);
  h.base_position = DecodeLE<uint64_t>(b.data() + 24);
  h.base_epoch = DecodeLE<uint64_t>(b.data() + 32);
  h.base_sequence = DecodeLE<uint64_t>(b.data() + 40);
  h.reused = version == kReusedFormatVersion && (DecodeLE<uint32_t>(b.data() + 48) & kHeaderReusedFlag) != 0;
  return h;
}

void EncodeEntry(char* p, const EntryFields& f, std::string_view payload,
                 std::optional<KnownCrc> known) {
  size_t prefix = BodyPrefixSize(f.kind);
  EncodeLE<uint32_t>(p + 4, static_cast<uint32_t>(prefix + payload.size()));
  p[8] = static_cast<char>(f.kind);
  p[9] = 0;
  EncodeLE<uint16_t>(p + 10, 0);
  EncodeLE<uint64_t>(p + 12, f.epoch);
  EncodeLE<uint64_t>(p + 20, f.sequence);
  if (f.kind == static_cast<uint8_t>(EntryKind::kData)) {
    EncodeLE<uint32_t>(p + 28, f.partition_id);
    EncodeLE<int64_t>(p + 32, f.base_offset);
  } else if (f.kind == static_cast<uint8_t>(EntryKind::kRecord)) {
    EncodeLE<uint16_t>(p + 28, f.record_type);
  }
  uint32_t crc = EntryCrc(std::string_view(p + 4, kEntryHeaderSize - 4 + prefix), payload, known);
  EncodeLE<uint32_t>(p, crc32c::Mask(crc));
  // The entry goes to a WAL buffer that the disk reads next (copy.h).
  StreamBytes(p + kEntryHeaderSize + prefix, payload.data(), payload.size());
}

void AppendEntry(std::string* dst, const EntryFields& f, std::string_view payload,
                 std::optional<KnownCrc> known) {
  size_t start = dst->size();
  dst->resize(start + EncodedEntrySize(f.kind, payload.size()));
  EncodeEntry(dst->data() + start, f, payload, known);
}

ParsedEntry ParseEntry(std::string_view b) {
  if (b.size() < kEntryHeaderSize) return Fail(ParseOutcome::kShort, "entry header cut short");
  uint32_t body = DecodeLE<uint32_t>(b.data() + 4);
  // An impossible length cannot be verified; treat it like a cut-short entry.
  if (body > kMaxEntryBody) return Fail(ParseOutcome::kShort, "entry length out of range");
  if (b.size() < kEntryHeaderSize + body) return Fail(ParseOutcome::kShort, "entry body cut short");
  uint32_t stored = crc32c::Unmask(DecodeLE<uint32_t>(b.data()));
  std::string_view covered = b.substr(4, kEntryHeaderSize - 4 + body);
  if (stored != crc32c::Value(covered.data(), covered.size())) {
    return Fail(ParseOutcome::kChecksum, "entry checksum mismatch");
  }
  ParsedEntry out;
  out.fields.kind = static_cast<uint8_t>(b[8]);
  if (b[9] != 0 || DecodeLE<uint16_t>(b.data() + 10) != 0) {
    return Fail(ParseOutcome::kMalformed, "reserved entry bits set");
  }
  if (const char* problem = CheckBody(out.fields.kind, body)) {
    return Fail(ParseOutcome::kMalformed, problem);
  }
  out.fields.epoch = DecodeLE<uint64_t>(b.data() + 12);
  out.fields.sequence = DecodeLE<uint64_t>(b.data() + 20);
  DecodePrefix(b.data() + kEntryHeaderSize, &out);
  size_t prefix = IsKnownKind(out.fields.kind) ? BodyPrefixSize(out.fields.kind) : 0;
  out.payload = b.substr(kEntryHeaderSize + prefix, body - prefix);
  out.size = kEntryHeaderSize + body;
  out.outcome = ParseOutcome::kOk;
  return out;
}

}  // namespace corelog::wal
