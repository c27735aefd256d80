#include "common/result.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace corelog {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return Error(std::make_error_code(std::errc::invalid_argument), "odd value");
  return v / 2;
}

Result<int> Quarter(int v) {
  CORELOG_ASSIGN_OR_RETURN(int h, Half(v));
  CORELOG_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckQuarter(int v) {
  CORELOG_TRY(Quarter(v));
  return Ok();
}

TEST(Result, AssignOrReturnPropagatesTheFirstError) {
  ASSERT_TRUE(Quarter(8));
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "odd value");
  EXPECT_EQ(r.error().code(), std::errc::invalid_argument);
}

TEST(Result, TryPropagatesIntoStatus) {
  EXPECT_TRUE(CheckQuarter(4));
  EXPECT_FALSE(CheckQuarter(2));
}

TEST(Result, FromErrnoNamesTheOperation) {
  Error e = Error::FromErrno(ENOSPC, "write /x");
  EXPECT_EQ(e.code(), std::errc::no_space_on_device);
  EXPECT_NE(e.message().find("write /x"), std::string::npos);
  EXPECT_NE(e.Wrap("appending").message().find("appending: write /x"), std::string::npos);
}

}  // namespace
}  // namespace corelog
