#include "instrument/clang/suppress.h"

#include <cctype>

namespace pyrace::clint {
namespace {

std::string_view LineAt(std::string_view text, unsigned line) {
  size_t pos = 0;
  for (unsigned l = 1; l < line; ++l) {
    pos = text.find('\n', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  size_t end = text.find('\n', pos);
  return text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
}

bool ListMatches(std::string_view list, std::string_view kind) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "pyrace-*" || item == "*") return true;
    if (item.substr(0, 7) == "pyrace-" && item.substr(7) == kind) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// Looks for `marker` (optionally followed by "(list)") in a line's comment.
bool Marked(std::string_view line, std::string_view marker, std::string_view kind) {
  size_t pos = 0;
  while ((pos = line.find(marker, pos)) != std::string_view::npos) {
    size_t after = pos + marker.size();
    pos = after;
    if (after < line.size() && line[after] == '(') {
      size_t close = line.find(')', after);
      if (close == std::string_view::npos) return false;
      if (ListMatches(line.substr(after + 1, close - after - 1), kind)) return true;
      continue;
    }
    // Bare marker, but NOLINT must not match the prefix of NOLINTNEXTLINE.
    if (after < line.size() && (std::isalnum(static_cast<unsigned char>(line[after])) || line[after] == '_')) {
      continue;
    }
    return true;
  }
  return false;
}

}  // namespace

bool IsSuppressed(std::string_view text, unsigned line, std::string_view kind) {
  if (Marked(LineAt(text, line), "NOLINT", kind)) return true;
  return line > 1 && Marked(LineAt(text, line - 1), "NOLINTNEXTLINE", kind);
}

}  // namespace pyrace::clint
