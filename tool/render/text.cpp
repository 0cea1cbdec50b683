#include "tool/render/text.h"

#include <string>
#include <string_view>

namespace pyrace {
namespace {

constexpr std::string_view kSeparator = "==================";

struct Style {
  bool on;
  const char* Red() const { return on ? "\033[1m\033[31m" : ""; }
  const char* Blue() const { return on ? "\033[1m\033[34m" : ""; }
  const char* Bold() const { return on ? "\033[1m" : ""; }
  const char* Reset() const { return on ? "\033[0m" : ""; }
};

std::string_view TrimLeft(std::string_view s) {
  size_t i = s.find_first_not_of(" \t");
  return i == std::string_view::npos ? std::string_view() : s.substr(i);
}

std::string Where(const SourceLocation& loc) {
  std::string s = loc.file.empty() ? std::string("<unknown>") : loc.file;
  if (loc.line != 0) s += ":" + std::to_string(loc.line);
  return s;
}

std::string FunctionName(const SourceLocation& loc) {
  return loc.function.empty() ? std::string("<unknown>") : loc.function;
}

void RenderFrames(const std::vector<SourceLocation>& frames, SourceLines& sources, std::ostream& out) {
  for (size_t i = 0; i < frames.size(); ++i) {
    const SourceLocation& fr = frames[i];
    out << "    #" << i << ' ' << FunctionName(fr) << ' ' << Where(fr) << '\n';
    if (auto text = sources.Line(fr.file, fr.line)) {
      std::string_view code = TrimLeft(*text);
      if (!code.empty()) out << "        " << code << '\n';
    }
  }
}

void RenderSection(const Section& s, const Style& st, SourceLines& sources, std::ostream& out) {
  out << "  " << st.Blue() << s.title << st.Reset() << '\n';
  if (s.frames.empty()) {
    out << "    <no stack>\n";
    return;
  }
  RenderFrames(s.frames, sources, out);
}

void RenderSummary(const Finding& f, std::ostream& out) {
  out << "SUMMARY: pyrace: " << FindingKindId(f.kind) << ' ' << Where(f.primary) << " in "
      << FunctionName(f.primary) << '\n';
}

void RenderTrailer(const std::vector<Finding>& findings, const ReportInfo& info, std::ostream& out) {
  const size_t n = findings.size() + info.reported_earlier;
  if (n == 0 && info.quiet_when_clean && info.suppressed == 0 && info.unused_suppressions.empty()) return;
  out << "pyrace: reported " << n << (n == 1 ? " warning" : " warnings");
  if (info.suppressed != 0) out << " (" << info.suppressed << " suppressed)";
  out << '\n';
  for (const std::string& s : info.unused_suppressions) out << "pyrace: unused suppression: " << s << '\n';
}

}  // namespace

void RenderTextFinding(const Finding& f, const ReportInfo& info, SourceLines& sources, std::ostream& out) {
  const Style st{info.color};
  out << st.Red() << "==" << info.pid << "==WARNING: pyrace: " << FindingKindId(f.kind) << " (pid=" << info.pid
      << ")" << st.Reset() << '\n';
  out << "  " << st.Bold() << f.message << st.Reset() << '\n';
  if (f.count > 1) out << "  (seen " << f.count << " times; the first is shown)\n";
  if (f.sections.empty() && !f.primary.file.empty()) RenderFrames({f.primary}, sources, out);
  for (const Section& s : f.sections) {
    out << '\n';
    RenderSection(s, st, sources, out);
  }
  if (!f.sections.empty() || !f.notes.empty()) out << '\n';
  for (const std::string& note : f.notes) out << "  hint: " << note << '\n';
  RenderSummary(f, out);
}

void RenderText(const std::vector<Finding>& findings, const ReportInfo& info, SourceLines& sources,
                std::ostream& out) {
  for (const Finding& f : findings) {
    out << kSeparator << '\n';
    RenderTextFinding(f, info, sources, out);
    out << kSeparator << '\n';
  }
  RenderTrailer(findings, info, out);
}

}  // namespace pyrace
