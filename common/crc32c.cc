#include "common/crc32c.h"

#include <array>
#include <cstring>
#include <nmmintrin.h>

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

// x^(8 * bytes) mod P: the product of x^(2^k) over the set bits k of 8 * bytes.
constexpr uint32_t XPowBytes(uint64_t bytes) {
  uint32_t result = kOne;
  for (size_t k = 3; bytes != 0; bytes >>= 1, ++k) {
    if (bytes & 1) result = MultiplyModP(kXPow2[k], result);
  }
  return result;
}

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

const bool kHardware = __builtin_cpu_supports("sse4.2");

}  // namespace

bool HardwareAccelerated() { return kHardware; }

uint32_t Combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  return MultiplyModP(XPowBytes(length_b), crc_a) ^ crc_b;
}

uint32_t Extend(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  c = kHardware ? ExtendHardware(c, p, n) : ExtendTable(c, p, n);
  return ~c;
}

}  // namespace corelog::crc32c
