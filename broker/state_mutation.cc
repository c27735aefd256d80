#include "broker/state_mutation.h"

#include "common/coding.h"

namespace corelog::broker {
namespace {

constexpr uint8_t kPut = 1;
constexpr uint8_t kDelete = 2;

void AppendString(std::string* out, std::string_view s) {
  AppendLE<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

// Reads a u32-length-prefixed string, or fails without reading past `in`.
bool ReadString(std::string_view* in, std::string* out) {
  if (in->size() < 4) return false;
  uint32_t n = DecodeLE<uint32_t>(in->data());
  if (in->size() - 4 < n) return false;
  out->assign(in->data() + 4, n);
  in->remove_prefix(4 + n);
  return true;
}

}  // namespace

std::string StateMutation::Encode() const {
  std::string out;
  AppendLE<uint32_t>(&out, static_cast<uint32_t>(puts.size() + deletes.size()));
  for (const auto& [k, v] : puts) {
    out.push_back(static_cast<char>(kPut));
    AppendString(&out, k);
    AppendString(&out, v);
  }
  for (const auto& k : deletes) {
    out.push_back(static_cast<char>(kDelete));
    AppendString(&out, k);
  }
  return out;
}

std::optional<StateMutation> StateMutation::Decode(std::string_view in) {
  if (in.size() < 4) return std::nullopt;
  uint32_t count = DecodeLE<uint32_t>(in.data());
  in.remove_prefix(4);
  StateMutation m;
  for (uint32_t i = 0; i < count; ++i) {
    if (in.empty()) return std::nullopt;
    uint8_t op = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    std::string key, value;
    if (!ReadString(&in, &key)) return std::nullopt;
    if (op == kPut) {
      if (!ReadString(&in, &value)) return std::nullopt;
      m.puts.emplace_back(std::move(key), std::move(value));
    } else if (op == kDelete) {
      m.deletes.push_back(std::move(key));
    } else {
      return std::nullopt;
    }
  }
  if (!in.empty()) return std::nullopt;
  return m;
}

}  // namespace corelog::broker
