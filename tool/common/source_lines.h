// Reads lines of the user's source files for reports and `# pyrace: ignore` comments.
// A trace may be replayed on a machine without the sources: a missing file is simply
// no line, never an error.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pyrace {

class SourceLines {
 public:
  // The 1-based line of file without its newline, or nothing when the file or the line
  // does not exist.
  std::optional<std::string> Line(const std::string& file, uint32_t line);

 private:
  const std::vector<std::string>* Load(const std::string& file);
  std::map<std::string, std::optional<std::vector<std::string>>> files_;
};

}  // namespace pyrace
