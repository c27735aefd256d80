// Fixed-width integer coding. Little-endian for corelog's own on-disk
// formats (docs/wal_format.md); big-endian for the Kafka wire and for
// RocksDB keys, where byte order must equal numeric order.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace corelog {

// ByteSwap arrives only in C++23.
template <class T>
inline T ByteSwap(T v) {
  if constexpr (sizeof(T) == 1) return v;
  else if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
  else if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
  else return static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
}

template <class T>
inline void EncodeLE(char* dst, T v) {
  if constexpr (std::endian::native == std::endian::big) v = ByteSwap(v);
  std::memcpy(dst, &v, sizeof(T));
}

template <class T>
inline T DecodeLE(const char* src) {
  T v;
  std::memcpy(&v, src, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) v = ByteSwap(v);
  return v;
}

template <class T>
inline void EncodeBE(char* dst, T v) {
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(v);
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) u = ByteSwap(u);
  std::memcpy(dst, &u, sizeof(T));
}

template <class T>
inline T DecodeBE(const char* src) {
  using U = std::make_unsigned_t<T>;
  U u;
  std::memcpy(&u, src, sizeof(T));
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) u = ByteSwap(u);
  return static_cast<T>(u);
}

template <class T>
inline void AppendLE(std::string* dst, T v) {
  char buf[sizeof(T)];
  EncodeLE(buf, v);
  dst->append(buf, sizeof(T));
}

template <class T>
inline void AppendBE(std::string* dst, T v) {
  char buf[sizeof(T)];
  EncodeBE(buf, v);
  dst->append(buf, sizeof(T));
}

}  // namespace corelog
