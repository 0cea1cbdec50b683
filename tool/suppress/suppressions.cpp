#include "tool/suppress/suppressions.h"

#include <array>
#include <fstream>
#include <sstream>

namespace pyrace {
namespace {

constexpr std::array<std::string_view, 5> kTsanTypes = {"race", "race_top", "deadlock", "mutex", "thread"};
constexpr std::array<FindingKind, 9> kAllKinds = {
    FindingKind::kDataRace,       FindingKind::kLockOrderInversion, FindingKind::kDeadlock,
    FindingKind::kMissedRelease,  FindingKind::kBadRelease,         FindingKind::kGilNotHeld,
    FindingKind::kGilStateLeak,   FindingKind::kBlockingInEventLoop, FindingKind::kForkWithHeldLock,
};

bool IsKnownType(std::string_view t) {
  for (std::string_view k : kTsanTypes) {
    if (t == k) return true;
  }
  for (FindingKind k : kAllKinds) {
    if (t == FindingKindId(k)) return true;
  }
  return false;
}

// Which finding kinds a rule type applies to.
bool TypeCovers(std::string_view type, FindingKind k) {
  if (type == "race" || type == "race_top") return k == FindingKind::kDataRace;
  if (type == "deadlock") return k == FindingKind::kDeadlock || k == FindingKind::kLockOrderInversion;
  if (type == "mutex") return k == FindingKind::kMissedRelease || k == FindingKind::kBadRelease;
  if (type == "thread") return true;
  return type == FindingKindId(k);
}

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// "pkg/sub/mod.py" -> "pkg.sub.mod", so `race:concurrent.futures` matches stdlib frames.
std::string DottedModule(std::string_view file) {
  std::string m(file);
  if (m.size() > 3 && m.compare(m.size() - 3, 3, ".py") == 0) m.resize(m.size() - 3);
  for (char& c : m) {
    if (c == '/' || c == '\\') c = '.';
  }
  return m;
}

bool FrameMatches(std::string_view pattern, const SourceLocation& fr) {
  return (!fr.function.empty() && TemplateMatch(pattern, fr.function)) ||
         (!fr.file.empty() && (TemplateMatch(pattern, fr.file) || TemplateMatch(pattern, DottedModule(fr.file))));
}

bool IsThreadCreation(const Section& s) {
  return s.title.rfind("Thread", 0) == 0 &&
         (s.title.find("created") != std::string::npos || s.title.find("started") != std::string::npos);
}

bool AnyFrameMatches(std::string_view pattern, const Finding& f) {
  if (FrameMatches(pattern, f.primary)) return true;
  for (const Section& s : f.sections) {
    for (const SourceLocation& fr : s.frames) {
      if (FrameMatches(pattern, fr)) return true;
    }
  }
  return false;
}

bool TopFrameMatches(std::string_view pattern, const Finding& f) {
  if (FrameMatches(pattern, f.primary)) return true;
  for (const Section& s : f.sections) {
    if (!s.frames.empty() && !IsThreadCreation(s) && FrameMatches(pattern, s.frames.front())) return true;
  }
  return false;
}

bool ThreadCreationMatches(std::string_view pattern, const Finding& f) {
  for (const Section& s : f.sections) {
    if (!IsThreadCreation(s)) continue;
    if (TemplateMatch(pattern, s.title)) return true;
    for (const SourceLocation& fr : s.frames) {
      if (FrameMatches(pattern, fr)) return true;
    }
  }
  return false;
}

// Globs without anchors: does pattern match text starting exactly at text[0] and, when
// must_end, ending exactly at its end?
bool GlobAt(std::string_view p, std::string_view t, bool must_end) {
  size_t star = p.find('*');
  if (star == std::string_view::npos) {
    if (t.size() < p.size() || t.compare(0, p.size(), p) != 0) return false;
    return !must_end || t.size() == p.size();
  }
  std::string_view head = p.substr(0, star);
  if (t.compare(0, head.size(), head) != 0 || t.size() < head.size()) return false;
  std::string_view rest = p.substr(star + 1);
  t.remove_prefix(head.size());
  for (size_t i = 0; i <= t.size(); ++i) {
    if (GlobAt(rest, t.substr(i), must_end)) return true;
  }
  return false;
}

}  // namespace

bool TemplateMatch(std::string_view pattern, std::string_view text) {
  bool anchor_start = !pattern.empty() && pattern.front() == '^';
  if (anchor_start) pattern.remove_prefix(1);
  bool anchor_end = !pattern.empty() && pattern.back() == '$';
  if (anchor_end) pattern.remove_suffix(1);
  if (anchor_start) return GlobAt(pattern, text, anchor_end);
  for (size_t i = 0; i <= text.size(); ++i) {
    if (GlobAt(pattern, text.substr(i), anchor_end)) return true;
  }
  return false;
}

bool Suppressions::Parse(std::string_view text, const std::string& origin, std::string* error) {
  uint32_t lineno = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++lineno;
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = origin + ":" + std::to_string(lineno);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      *error = where + ": expected type:pattern, got '" + std::string(line) + "'";
      return false;
    }
    std::string_view type = Trim(line.substr(0, colon));
    std::string_view pattern = Trim(line.substr(colon + 1));
    if (!IsKnownType(type)) {
      *error = where + ": unknown suppression type '" + std::string(type) + "'";
      return false;
    }
    if (pattern.empty()) {
      *error = where + ": empty pattern";
      return false;
    }
    rules_.push_back({std::string(type), std::string(pattern), where, 0});
  }
  return true;
}

bool Suppressions::LoadFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open suppressions file '" + path + "'";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path, error);
}

bool Suppressions::RuleMatches(const Rule& r, const Finding& f) {
  if (!TypeCovers(r.type, f.kind)) return false;
  if (r.type == "race_top") return TopFrameMatches(r.pattern, f);
  if (r.type == "thread") return ThreadCreationMatches(r.pattern, f);
  return AnyFrameMatches(r.pattern, f);
}

bool Suppressions::Suppresses(const Finding& f) {
  for (Rule& r : rules_) {
    if (RuleMatches(r, f)) {
      ++r.hits;
      return true;
    }
  }
  return false;
}

std::vector<std::string> Suppressions::Unused() const {
  std::vector<std::string> out;
  for (const Rule& r : rules_) {
    if (r.hits == 0) out.push_back(r.type + ":" + r.pattern + " (" + r.origin + ")");
  }
  return out;
}

}  // namespace pyrace
