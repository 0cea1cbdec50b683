#include "tool/lint/output.h"

#include <map>
#include <nlohmann/json.hpp>

#include "instrument/clang/c_lint.h"
#include "tool/lint/rule.h"
#include "tool/render/json.h"
#include "tool/render/sarif.h"

namespace pyrace::lint {
namespace {

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The byte offset of a 1-based code-point column.
size_t ByteOfColumn(std::string_view line, uint32_t col) {
  size_t cp = 1;
  for (size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue;
    if (cp == col) return i;
    ++cp;
  }
  return line.size();
}

std::string Caret(std::string_view line, const SourceLocation& l) {
  if (l.column == 0) return "";
  std::string pad;
  size_t start = ByteOfColumn(line, l.column);
  for (size_t i = 0; i < start && i < line.size(); ++i) pad += line[i] == '\t' ? '\t' : ' ';
  size_t width = 1;
  if (l.end_line == l.line && l.end_column > l.column) {
    width = l.end_column - l.column;
  } else if (l.end_line > l.line) {
    width = CodePoints(line.substr(start));
  }
  if (width == 0) width = 1;
  return pad + "^" + std::string(width - 1, '~');
}

std::string Where(const SourceLocation& l) {
  std::string s = l.file + ":" + std::to_string(l.line);
  if (l.column > 0) s += ":" + std::to_string(l.column);
  return s;
}

const char* kBold = "\033[1m";
const char* kRed = "\033[31m";
const char* kYellow = "\033[33m";
const char* kCyan = "\033[36m";
const char* kGreen = "\033[32m";
const char* kReset = "\033[0m";

}  // namespace

std::string KindIdOf(const Finding& f) {
  if (const Rule* r = FindRule(f.rule)) return r->info().kind_id;
  return FindingKindId(f.kind);
}

void RenderLintText(const LintOutcome& o, bool color, std::ostream& out) {
  auto c = [&](const char* code) { return color ? code : ""; };
  std::map<std::string, int> counts;
  for (const auto& f : o.findings) {
    ++counts[f.rule];
    const Rule* r = FindRule(f.rule);
    out << c(kBold) << Where(f.primary) << ": " << c(kReset)
        << c(f.severity == Severity::kError ? kRed : kYellow) << f.rule << c(kReset) << " " << f.message;
    if (r) out << " [" << r->info().name << "]";
    out << "\n";
    std::string_view line = o.Line(f.primary.file, f.primary.line);
    if (!line.empty()) {
      out << "  " << line << "\n";
      out << "  " << c(kGreen) << Caret(line, f.primary) << c(kReset) << "\n";
    }
    for (const auto& s : f.sections) {
      for (const auto& fr : s.frames) out << "  " << c(kCyan) << "note" << c(kReset) << ": " << s.title << " " << Where(fr) << "\n";
    }
    for (const auto& n : f.notes) out << "  " << c(kCyan) << "help" << c(kReset) << ": " << n << "\n";
  }
  if (o.findings.empty()) {
    out << "All checks passed (" << o.python_files + o.native_files << " files).\n";
    return;
  }
  out << "Found " << o.findings.size() << (o.findings.size() == 1 ? " finding" : " findings") << " in "
      << o.python_files + o.native_files << " files (";
  bool first = true;
  for (const auto& [rule, n] : counts) {
    out << (first ? "" : ", ") << rule << ": " << n;
    first = false;
  }
  out << ").\n";
}

void RenderLintJson(const LintOutcome& o, std::ostream& out) {
  nlohmann::ordered_json j;
  auto arr = nlohmann::ordered_json::array();
  for (const auto& f : o.findings) {
    arr.push_back(FindingToJson(f, [](const Finding& g, nlohmann::ordered_json& x) {
      x["kind"] = KindIdOf(g);
      if (const Rule* r = FindRule(g.rule)) x["name"] = r->info().name;
    }));
  }
  j["findings"] = arr;
  j["files"] = o.python_files + o.native_files;
  j["suppressed"] = o.suppressed;
  j["errors"] = o.errors;
  out << j.dump(2) << "\n";
}

namespace {
// GitHub workflow commands escape %, CR and LF in data, and also : and , in properties.
std::string GhData(const std::string& s) {
  std::string r;
  for (char ch : s) {
    if (ch == '%') r += "%25";
    else if (ch == '\r') r += "%0D";
    else if (ch == '\n') r += "%0A";
    else r += ch;
  }
  return r;
}
std::string GhProp(const std::string& s) {
  std::string r;
  for (char ch : GhData(s)) {
    if (ch == ':') r += "%3A";
    else if (ch == ',') r += "%2C";
    else r += ch;
  }
  return r;
}
}  // namespace

void RenderLintGithub(const LintOutcome& o, std::ostream& out) {
  for (const auto& f : o.findings) {
    const Rule* r = FindRule(f.rule);
    const char* level = f.severity == Severity::kError ? "error" : f.severity == Severity::kWarning ? "warning" : "notice";
    out << "::" << level << " file=" << GhProp(f.primary.file) << ",line=" << f.primary.line;
    if (f.primary.column) out << ",col=" << f.primary.column;
    if (f.primary.end_line) out << ",endLine=" << f.primary.end_line;
    if (f.primary.end_line == f.primary.line && f.primary.end_column) out << ",endColumn=" << f.primary.end_column;
    out << ",title=" << GhProp(f.rule + (r ? std::string(" ") + r->info().name : "")) << "::" << GhData(f.message)
        << "\n";
  }
}

void RenderLintSarif(const LintOutcome& o, std::ostream& out) {
  SarifOptions opts;
  for (const auto& rule : AllRules()) {
    const RuleInfo& i = rule->info();
    SarifRule r;
    r.id = i.code;
    r.name = i.name;
    r.short_description = i.summary;
    r.full_description = i.description;
    r.default_level = i.severity;
    r.kind = i.kind_id;
    opts.rules.push_back(r);
  }
  for (const auto& c : CLintRules()) {
    SarifRule r;
    r.id = c.code;
    r.name = c.name;
    r.short_description = c.summary;
    r.full_description = c.description;
    r.default_level = c.severity;
    r.kind = FindingKindId(c.kind);
    opts.rules.push_back(r);
  }
  RenderSarif(o.findings, opts, out);
}

}  // namespace pyrace::lint
