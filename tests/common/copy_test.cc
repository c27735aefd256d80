#include "common/copy.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace corelog {
namespace {

// Every length around the streaming threshold and the 64-byte loop, from
// and to every alignment within a 16-byte store: the bytes arrive exactly,
// and the bytes around the destination are untouched.
TEST(StreamBytes, CopiesExactlyAtEveryLengthAndAlignment) {
  std::string source(70000, '\0');
  for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<char>((i * 131 + 7) % 251);
  const std::vector<size_t> lengths = {0, 1, 15, 63, 64, 1000, 1023, 1024, 1025, 1087, 1088, 4096, 65537};
  std::vector<char> dst(source.size() + 64);
  for (size_t length : lengths) {
    for (size_t from = 0; from < 17; ++from) {
      for (size_t to = 0; to < 17; ++to) {
        std::fill(dst.begin(), dst.end(), '#');
        StreamBytes(dst.data() + to, source.data() + from, length);
        ASSERT_EQ(std::string(dst.data() + to, length), source.substr(from, length))
            << "length " << length << " from " << from << " to " << to;
        ASSERT_EQ(std::string(dst.data(), to), std::string(to, '#'));
        const size_t after = to + length;
        ASSERT_EQ(std::string(dst.data() + after, dst.size() - after), std::string(dst.size() - after, '#'))
            << "length " << length << " from " << from << " to " << to;
      }
    }
  }
}

}  // namespace
}  // namespace corelog
