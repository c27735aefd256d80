#include "common/crc32c.h"

#include <array>
#include <cstring>
#include <immintrin.h>

namespace corelog::crc32c {
namespace {

constexpr uint32_t kPolyReflected = 0x82f63b78u;

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolyReflected : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = MakeTable();

uint32_t ExtendTable(uint32_t crc, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) crc = kTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

// Combine works on polynomials over GF(2) modulo the CRC polynomial P, kept
// as the CRC keeps them: bit 31 holds the coefficient of x^0, bit 0 that of
// x^31. Appending B to A multiplies A's CRC by x^(8 * |B|) and adds B's.
constexpr uint32_t kOne = 0x80000000u;  // the polynomial 1

constexpr uint32_t TimesX(uint32_t a) { return (a & 1) ? (a >> 1) ^ kPolyReflected : a >> 1; }

constexpr uint32_t MultiplyModP(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t bit = kOne; bit != 0; bit >>= 1) {  // a's coefficients, x^0 upwards
    if (a & bit) product ^= b;
    b = TimesX(b);
  }
  return product;
}

// kXPow2[k] = x^(2^k) mod P, by repeated squaring from x itself.
constexpr std::array<uint32_t, 67> MakePowers() {
  std::array<uint32_t, 67> powers{};
  powers[0] = kOne >> 1;
  for (size_t k = 1; k < powers.size(); ++k) powers[k] = MultiplyModP(powers[k - 1], powers[k - 1]);
  return powers;
}

constexpr std::array<uint32_t, 67> kXPow2 = MakePowers();

// x^bits mod P: the product of x^(2^k) over the set bits k of `bits`.
constexpr uint32_t XPow(uint64_t bits) {
  uint32_t result = kOne;
  for (size_t k = 0; bits != 0; bits >>= 1, ++k) {
    if (bits & 1) result = MultiplyModP(kXPow2[k], result);
  }
  return result;
}

constexpr uint32_t XPowBytes(uint64_t bytes) { return XPow(8 * bytes); }

// The crc32 instruction takes three cycles but can start one every cycle,
// so three independent streams run about three times as fast as one. A
// block of three stripes is checksummed as three separate CRC registers;
// the first two are then moved past the bytes after them (multiplied by
// x^(8 * length), as Combine does) and added.
constexpr size_t kStripe = 4096;

// Multiplying a CRC register by a fixed polynomial is linear in the
// register's bits, so it is the sum of one table entry per byte.
using ShiftTable = std::array<std::array<uint32_t, 256>, 4>;

constexpr ShiftTable MakeShiftTable(uint64_t bytes) {
  const uint32_t factor = XPowBytes(bytes);
  ShiftTable table{};
  for (uint32_t i = 0; i < 4; ++i) {
    for (uint32_t v = 0; v < 256; ++v) table[i][v] = MultiplyModP(factor, v << (8 * i));
  }
  return table;
}

constexpr ShiftTable kPastOneStripe = MakeShiftTable(kStripe);
constexpr ShiftTable kPastTwoStripes = MakeShiftTable(2 * kStripe);

uint32_t Shift(const ShiftTable& table, uint64_t crc) {
  return table[0][crc & 0xff] ^ table[1][(crc >> 8) & 0xff] ^ table[2][(crc >> 16) & 0xff] ^
         table[3][(crc >> 24) & 0xff];
}

uint64_t Load64(const uint8_t* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

// The target attribute lets this one function use the instruction even in a
// build that does not assume SSE4.2 everywhere.
__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, const uint8_t* p,
                                                          size_t n) {
  uint64_t c = crc;
  for (; n >= 3 * kStripe; p += 3 * kStripe, n -= 3 * kStripe) {
    uint64_t c1 = 0;
    uint64_t c2 = 0;
    for (size_t i = 0; i < kStripe; i += 8) {
      c = _mm_crc32_u64(c, Load64(p + i));
      c1 = _mm_crc32_u64(c1, Load64(p + kStripe + i));
      c2 = _mm_crc32_u64(c2, Load64(p + 2 * kStripe + i));
    }
    c = Shift(kPastTwoStripes, c) ^ Shift(kPastOneStripe, c1) ^ c2;
  }
  for (; n >= 8; p += 8, n -= 8) c = _mm_crc32_u64(c, Load64(p));
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}

// Carry-less multiplication (VPCLMULQDQ, 512-bit registers) folds the data
// 64 bytes at a time per register, four registers at once.
//
// A 16-byte chunk loaded into a 128-bit lane is a polynomial of degree < 128
// in the CRC's bit order: bit i is the coefficient of x^(127 - i), so the low
// 64 bits H hold x^127..x^64 and the high 64 bits L hold x^63..x^0. Moving a
// lane D bytes further into the data multiplies it by x^(8D):
//   (H x^64 + L) x^(8D) = H (x^(8D+64) mod P) + L (x^(8D) mod P),
// two 64 x 32-bit carry-less products, each of degree < 96, so the result
// fits a lane again and is added (xor) to the chunk found there. A
// carry-less product of two bit-reversed numbers comes out one place
// short, which the constants make up by holding x^(8D+63) and x^(8D-1).
// Once everything is folded into one lane, that lane is itself a 16-byte
// message with the same CRC as all the bytes it stands for, and the crc32
// instruction finishes it.
struct FoldConstants {
  uint64_t high_half;  // multiplies H
  uint64_t low_half;   // multiplies L
};

// A polynomial of degree < 32 as the low 32 of 64 bit-reversed bits.
constexpr uint64_t Widen(uint32_t p) { return static_cast<uint64_t>(p) << 32; }

constexpr FoldConstants FoldBy(uint64_t bytes) {
  return {Widen(XPow(8 * bytes + 63)), Widen(XPow(8 * bytes - 1))};
}

constexpr size_t kFoldBlock = 256;  // four registers of 64 bytes
constexpr FoldConstants kFold256 = FoldBy(256);
constexpr FoldConstants kFold64 = FoldBy(64);
constexpr FoldConstants kFold16 = FoldBy(16);

#define CORELOG_CLMUL_TARGET __attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2")))

CORELOG_CLMUL_TARGET __m512i Fold(__m512i lanes, __m512i k, __m512i next) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(lanes, k, 0x00),
                                   _mm512_clmulepi64_epi128(lanes, k, 0x11), next, 0x96);
}

CORELOG_CLMUL_TARGET __m128i Fold(__m128i lane, __m128i k, __m128i next) {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(lane, k, 0x00), _mm_clmulepi64_si128(lane, k, 0x11)),
                       next);
}

CORELOG_CLMUL_TARGET __m512i Broadcast(FoldConstants k) {
  const auto hi = static_cast<long long>(k.high_half), lo = static_cast<long long>(k.low_half);
  return _mm512_set_epi64(lo, hi, lo, hi, lo, hi, lo, hi);
}

CORELOG_CLMUL_TARGET __m512i Load512(const uint8_t* p) { return _mm512_loadu_si512(p); }

// Needs n >= kFoldBlock; `crc` is the register, not yet inverted back.
CORELOG_CLMUL_TARGET uint32_t ExtendCarryless(uint32_t crc, const uint8_t* p, size_t n) {
  // The running register enters as an xor into the first four bytes.
  __m512i acc[4] = {_mm512_xor_si512(Load512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(crc)))),
                    Load512(p + 64), Load512(p + 128), Load512(p + 192)};
  p += kFoldBlock;
  n -= kFoldBlock;
  const __m512i k256 = Broadcast(kFold256);
  for (; n >= kFoldBlock; p += kFoldBlock, n -= kFoldBlock) {
    for (int r = 0; r < 4; ++r) acc[r] = Fold(acc[r], k256, Load512(p + 64 * r));
  }
  const __m512i k64 = Broadcast(kFold64);
  __m512i one = Fold(Fold(Fold(acc[0], k64, acc[1]), k64, acc[2]), k64, acc[3]);
  for (; n >= 64; p += 64, n -= 64) one = Fold(one, k64, Load512(p));

  const __m128i k16 = _mm_set_epi64x(static_cast<long long>(kFold16.low_half),
                                     static_cast<long long>(kFold16.high_half));
  alignas(64) __m128i lanes[4];
  _mm512_store_si512(lanes, one);
  __m128i lane = lanes[0];
  for (int i = 1; i < 4; ++i) lane = Fold(lane, k16, lanes[i]);
  for (; n >= 16; p += 16, n -= 16) {
    lane = Fold(lane, k16, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  uint64_t c = _mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(lane)));
  c = _mm_crc32_u64(c, static_cast<uint64_t>(_mm_extract_epi64(lane, 1)));
  return ExtendHardware(static_cast<uint32_t>(c), p, n);
}

const bool kHardware = __builtin_cpu_supports("sse4.2");
const bool kCarryless = kHardware && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq") &&
                        __builtin_cpu_supports("pclmul");

}  // namespace

bool Available(Method method) {
  switch (method) {
    case Method::kTable:
      return true;
    case Method::kCrc32Instruction:
      return kHardware;
    case Method::kCarrylessMultiply:
      return kCarryless;
  }
  return false;
}

Method Fastest() {
  if (kCarryless) return Method::kCarrylessMultiply;
  return kHardware ? Method::kCrc32Instruction : Method::kTable;
}

const char* Name(Method method) {
  switch (method) {
    case Method::kTable:
      return "table";
    case Method::kCrc32Instruction:
      return "SSE4.2";
    case Method::kCarrylessMultiply:
      return "AVX-512 VPCLMULQDQ";
  }
  return "?";
}

uint32_t ExtendUsing(Method method, uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  switch (method) {
    case Method::kTable:
      c = ExtendTable(c, p, n);
      break;
    case Method::kCrc32Instruction:
      c = ExtendHardware(c, p, n);
      break;
    case Method::kCarrylessMultiply:
      c = n >= kFoldBlock ? ExtendCarryless(c, p, n) : ExtendHardware(c, p, n);
      break;
  }
  return ~c;
}

uint32_t Combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  return MultiplyModP(XPowBytes(length_b), crc_a) ^ crc_b;
}

uint32_t Extend(uint32_t crc, const void* data, size_t n) {
  static const Method fastest = Fastest();
  return ExtendUsing(fastest, crc, data, n);
}

}  // namespace corelog::crc32c
