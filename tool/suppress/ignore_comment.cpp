#include "tool/suppress/ignore_comment.h"

#include <cctype>

namespace pyrace {
namespace {

constexpr size_t kNone = std::string_view::npos;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f'; }

std::string_view SkipSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view Trim(std::string_view s) {
  s = SkipSpace(s);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsNoCase(s.substr(0, prefix.size()), prefix);
}

bool Named(std::string_view item, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (!n.empty() && EqualsNoCase(item, n)) return true;
  }
  return false;
}

// A word ends at the end of the comment, at whitespace or at the next `#`: what follows
// `ignore` or `noqa` must not continue the word ("ignored", "ignore-me", "noqa1").
bool WordEnds(std::string_view rest) { return rest.empty() || IsSpace(rest.front()) || rest.front() == '#'; }

// Where the line's comment starts: the first `#` outside a string literal, as Python's
// tokenizer sees it (either quote, triple quotes, backslash escapes; a backslash also keeps
// a raw string's quote from closing it). A string still open at the end of the line (a
// triple-quoted one that continues) leaves no comment on this line.
size_t CommentStart(std::string_view line) {
  char quote = 0;
  bool triple = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        if (!triple) {
          quote = 0;
        } else if (i + 2 < line.size() && line[i + 1] == quote && line[i + 2] == quote) {
          quote = 0;
          i += 2;
        }
      }
      continue;
    }
    if (c == '#') return i;
    if (c == '\'' || c == '"') {
      quote = c;
      triple = i + 2 < line.size() && line[i + 1] == c && line[i + 2] == c;
      if (triple) i += 2;
    }
  }
  return kNone;
}

// After `ignore`: a bracketed list, or nothing (every kind).
bool IgnoreCovers(std::string_view rest, std::initializer_list<std::string_view> names) {
  std::string_view after = SkipSpace(rest);
  if (!after.empty() && after.front() == '[') {
    size_t close = after.find(']');
    if (close == kNone) return false;  // unclosed: fail closed, the finding is reported
    std::string_view list = after.substr(1, close - 1);
    while (!list.empty()) {
      size_t comma = list.find(',');
      if (Named(Trim(list.substr(0, comma)), names)) return true;
      list = comma == kNone ? std::string_view() : list.substr(comma + 1);
    }
    return false;
  }
  return WordEnds(rest);
}

// After `noqa`: nothing (every code) or `: CODE, CODE ...`, codes as ruff reads them (letters
// then digits), separated by commas or whitespace; the list ends at the first word that is
// not a code, so an explanation may follow it. `noqa:` with no code silences nothing.
bool NoqaCovers(std::string_view rest, std::initializer_list<std::string_view> names) {
  if (rest.empty() || rest.front() != ':') return WordEnds(rest);
  rest.remove_prefix(1);
  for (;;) {
    while (!rest.empty() && (IsSpace(rest.front()) || rest.front() == ',')) rest.remove_prefix(1);
    size_t n = 0;
    while (n < rest.size() && std::isalpha(static_cast<unsigned char>(rest[n]))) ++n;
    size_t letters = n;
    while (n < rest.size() && std::isdigit(static_cast<unsigned char>(rest[n]))) ++n;
    if (letters == 0 || n == letters) return false;
    if (n < rest.size() && !IsSpace(rest[n]) && rest[n] != ',' && rest[n] != '#') return false;
    if (Named(rest.substr(0, n), names)) return true;
    rest.remove_prefix(n);
  }
}

// One `#`-introduced part of the comment (the text after that `#`, up to the next one).
bool DirectiveCovers(std::string_view part, std::initializer_list<std::string_view> names, IgnoreSyntax syntax) {
  part = SkipSpace(part);
  if (part.substr(0, 6) == "pyrace") {
    std::string_view r = SkipSpace(part.substr(6));
    if (r.empty() || r.front() != ':') return false;
    r = SkipSpace(r.substr(1));
    if (r.substr(0, 6) != "ignore") return false;
    return IgnoreCovers(r.substr(6), names);
  }
  if (syntax == IgnoreSyntax::kPyraceAndNoqa && StartsWithNoCase(part, "noqa")) return NoqaCovers(part.substr(4), names);
  return false;
}

}  // namespace

bool CommentIgnores(std::string_view line, std::initializer_list<std::string_view> names, IgnoreSyntax syntax) {
  size_t hash = CommentStart(line);
  while (hash != kNone) {
    size_t next = line.find('#', hash + 1);
    // A part runs to the next `#`: no kind, code or rule name holds one.
    std::string_view part = line.substr(hash + 1, next == kNone ? kNone : next - hash - 1);
    if (DirectiveCovers(part, names, syntax)) return true;
    hash = next;
  }
  return false;
}

bool LineIgnores(std::string_view line, const Finding& f) {
  return CommentIgnores(line, {FindingKindId(f.kind), f.rule}, IgnoreSyntax::kPyrace);
}

bool IgnoredByComment(const Finding& f, SourceLines& sources) {
  auto line = sources.Line(f.primary.file, f.primary.line);
  return line && LineIgnores(*line, f);
}

}  // namespace pyrace
