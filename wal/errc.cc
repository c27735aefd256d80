#include "wal/errc.h"

namespace corelog::wal {
namespace {

class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "corelog.wal"; }

  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::kInvalidArgument: return "invalid argument";
      case Errc::kInvalidCore: return "invalid core id";
      case Errc::kNotFound: return "WAL not found";
      case Errc::kAlreadyExists: return "WAL already exists";
      case Errc::kCorruption: return "WAL corruption";
      case Errc::kTornTail: return "torn WAL tail";
      case Errc::kPoisoned: return "WAL writer poisoned by an earlier I/O failure";
      case Errc::kReclaimed: return "WAL position already reclaimed";
    }
    return "unknown WAL error";
  }
};

}  // namespace

const std::error_category& ErrorCategory() {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) { return {static_cast<int>(e), ErrorCategory()}; }

Error MakeError(Errc e, std::string message) { return Error(make_error_code(e), std::move(message)); }

}  // namespace corelog::wal
