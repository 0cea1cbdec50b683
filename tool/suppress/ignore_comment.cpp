#include "tool/suppress/ignore_comment.h"

#include <string>

namespace pyrace {
namespace {

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool ListCovers(std::string_view list, const Finding& f) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item == FindingKindId(f.kind) || (!f.rule.empty() && item == f.rule)) return true;
  }
  return false;
}

// After "pyrace:" (spaces allowed around it): "ignore" or "ignore[...]"?
bool DirectiveCovers(std::string_view rest, const Finding& f) {
  rest = Trim(rest);
  if (rest.substr(0, 6) != "ignore") return false;
  rest.remove_prefix(6);
  if (rest.empty() || rest.front() != '[') {
    // A bare `ignore` must end the word: "ignored" is prose, not a directive.
    return rest.empty() || rest.front() == ' ' || rest.front() == '\t' || rest.front() == '#';
  }
  size_t close = rest.find(']');
  if (close == std::string_view::npos) return false;
  return ListCovers(rest.substr(1, close - 1), f);
}

}  // namespace

bool LineIgnores(std::string_view line, const Finding& f) {
  size_t hash = line.find('#');
  while (hash != std::string_view::npos) {
    std::string_view comment = Trim(line.substr(hash + 1));
    if (comment.substr(0, 7) == "pyrace:" && DirectiveCovers(comment.substr(7), f)) return true;
    hash = line.find('#', hash + 1);
  }
  return false;
}

bool IgnoredByComment(const Finding& f, SourceLines& sources) {
  auto line = sources.Line(f.primary.file, f.primary.line);
  return line && LineIgnores(*line, f);
}

}  // namespace pyrace
