#include "tool/common/source_lines.h"

#include <fstream>

namespace pyrace {

const std::vector<std::string>* SourceLines::Load(const std::string& file) {
  auto it = files_.find(file);
  if (it == files_.end()) {
    std::optional<std::vector<std::string>> lines;
    std::ifstream in(file, std::ios::binary);
    if (in) {
      lines.emplace();
      std::string s;
      while (std::getline(in, s)) {
        if (!s.empty() && s.back() == '\r') s.pop_back();
        lines->push_back(std::move(s));
      }
    }
    it = files_.emplace(file, std::move(lines)).first;
  }
  return it->second ? &*it->second : nullptr;
}

std::optional<std::string> SourceLines::Line(const std::string& file, uint32_t line) {
  if (line == 0 || file.empty()) return std::nullopt;
  const std::vector<std::string>* lines = Load(file);
  if (lines == nullptr || line > lines->size()) return std::nullopt;
  return (*lines)[line - 1];
}

}  // namespace pyrace
