// CRC-32C (Castagnoli): the checksum of WAL entries and of Kafka RecordBatch
// v2. Computed with carry-less multiplication where the CPU has AVX-512
// VPCLMULQDQ, else the SSE4.2 crc32 instruction, else a table. Mask/Unmask
// store a CRC so that data containing its own CRC, or a zero-filled region,
// does not verify by accident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace corelog::crc32c {

// Extends `crc` (the CRC-32C of some prefix) with `n` more bytes.
uint32_t Extend(uint32_t crc, const void* data, size_t n);

inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::span<const std::byte> s) { return Extend(0, s.data(), s.size()); }

// The CRC-32C of A followed by B, from the CRC-32C of each and B's length,
// without reading either again: a caller holding the CRC of a suffix (a
// validated Kafka batch carries its own) checksums a longer message in one
// pass over the rest.
uint32_t Combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);

// The ways Extend can compute the same CRC; it uses Fastest(). Tests call
// each through ExtendUsing, which needs Available(method).
enum class Method {
  kTable,              // a byte at a time, any CPU
  kCrc32Instruction,   // SSE4.2 crc32, three streams at once
  kCarrylessMultiply,  // AVX-512 VPCLMULQDQ folding, for 256 bytes and more
};
bool Available(Method method);
Method Fastest();
// For logs: "AVX-512 VPCLMULQDQ", "SSE4.2" or "table".
const char* Name(Method method);
uint32_t ExtendUsing(Method method, uint32_t crc, const void* data, size_t n);

inline constexpr uint32_t kMaskDelta = 0xa282ead8u;

// Rotates right by 15 bits and adds a constant: the masked form stored on disk.
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace corelog::crc32c
