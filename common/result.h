// Result<T>: the return type of every fallible function in corelog.
//
// An Error carries a std::error_code (errno values or a module's errc.h
// enum) and a human-readable message that names what failed, e.g. the file
// and offset of a corrupt WAL entry. Expected failures are returned, never
// thrown; CORELOG_TRY / CORELOG_ASSIGN_OR_RETURN propagate them.
#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <system_error>
#include <utility>

namespace corelog {

class Error {
 public:
  Error() = default;
  Error(std::error_code code, std::string message)
      : code_(code), message_(std::move(message)) {}
  explicit Error(std::error_code code) : code_(code), message_(code.message()) {}

  // An Error from an errno value, e.g. Error::FromErrno(errno, "fdatasync " + path).
  static Error FromErrno(int err, const std::string& what) {
    std::error_code code(err, std::generic_category());
    return Error(code, what + ": " + code.message());
  }

  const std::error_code& code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const { return message_; }

  // Prepends context: "opening WAL: <message>".
  Error Wrap(const std::string& context) const { return Error(code_, context + ": " + message_); }

 private:
  std::error_code code_;
  std::string message_;
};

// Called by boost::system::result::value() on an error; corelog code checks
// results instead, so reaching this is a programming error worth a throw.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;
using Status = Result<void>;

inline Status Ok() { return {}; }

}  // namespace corelog

#define CORELOG_CONCAT_INNER(a, b) a##b
#define CORELOG_CONCAT(a, b) CORELOG_CONCAT_INNER(a, b)

// Returns the error of a Status/Result expression from the current function.
#define CORELOG_TRY(expr)                                     \
  do {                                                        \
    auto&& corelog_try_result_ = (expr);                      \
    if (!corelog_try_result_) return corelog_try_result_.error(); \
  } while (0)

// `CORELOG_ASSIGN_OR_RETURN(auto x, Foo());` declares x from Foo()'s value or
// returns Foo()'s error.
#define CORELOG_ASSIGN_OR_RETURN(lhs, expr) \
  CORELOG_ASSIGN_OR_RETURN_IMPL(CORELOG_CONCAT(corelog_result_, __LINE__), lhs, expr)
#define CORELOG_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp) return tmp.error();                       \
  lhs = std::move(*tmp)
