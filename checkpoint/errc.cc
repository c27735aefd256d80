#include "checkpoint/errc.h"

namespace corelog::checkpoint {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "corelog.checkpoint"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kInvalidArgument:
        return "invalid argument";
      case Errc::kBadManifest:
        return "bad checkpoint manifest";
      case Errc::kTimeout:
        return "barrier timed out";
      case Errc::kStopped:
        return "checkpointer stopped";
      case Errc::kStore:
        return "state store error";
      case Errc::kInjected:
        return "injected fault";
      case Errc::kMissingWal:
        return "WAL missing";
    }
    return "unknown checkpoint error";
  }
};

}  // namespace

const std::error_category& ErrorCategory() {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) { return {static_cast<int>(e), ErrorCategory()}; }

Error MakeError(Errc e, std::string message) {
  return Error(make_error_code(e), std::move(message));
}

}  // namespace corelog::checkpoint
