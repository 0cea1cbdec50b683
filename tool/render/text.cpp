#include "tool/render/text.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "tool/render/fold.h"

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

void RenderFrame(size_t i, const SourceLocation& fr, SourceLines& sources, std::ostream& out) {
  out << "    #" << i << ' ' << FunctionName(fr) << ' ' << Where(fr) << '\n';
  if (auto text = sources.Line(fr.file, fr.line)) {
    std::string_view code = TrimLeft(*text);
    if (!code.empty()) out << "        " << code << '\n';
  }
}

std::string BaseName(const std::string& file) {
  size_t slash = file.find_last_of('/');
  return slash == std::string::npos ? file : file.substr(slash + 1);
}

// Frames [from, to) as one line; the numbers stay those of the full stack (and of JSON).
void RenderFolded(const std::vector<SourceLocation>& frames, size_t from, size_t to, std::ostream& out) {
  std::vector<std::string> files;
  for (size_t i = from; i < to; ++i) {
    std::string base = BaseName(frames[i].file);
    if (std::find(files.begin(), files.end(), base) == files.end()) files.push_back(base);
  }
  out << "    #" << from << "-#" << (to - 1) << " folded: " << (to - from) << " frames in ";
  for (size_t i = 0; i < files.size(); ++i) out << (i ? ", " : "") << files[i];
  out << " (--full-stacks shows them)\n";
}

void RenderFrames(const std::vector<SourceLocation>& frames, bool full, SourceLines& sources,
                  std::ostream& out) {
  for (const FrameRun& run : FoldFrames(frames, full)) {
    if (run.folded) {
      RenderFolded(frames, run.from, run.to, out);
    } else {
      RenderFrame(run.from, frames[run.from], sources, out);
    }
  }
}

void RenderSection(const Section& s, const Style& st, bool full, const std::string& group_test,
                   SourceLines& sources, std::ostream& out) {
  out << "  " << st.Blue() << s.title << st.Reset() << '\n';
  // A stack from another test than the finding's (a thread an earlier test left running).
  if (!s.test.empty() && s.test != group_test) out << "    (in test " << s.test << ")\n";
  if (s.frames.empty()) {
    out << "    <no stack>\n";
    return;
  }
  RenderFrames(s.frames, full, sources, out);
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
  // A finding across processes belongs to the processes that took its orders, not to
  // the run's top process.
  const uint32_t pid = f.process.pid != 0 ? f.process.pid : !f.pids.empty() ? f.pids[0] : info.pid;
  out << st.Red() << "==" << pid << "==WARNING: pyrace: " << FindingKindId(f.kind);
  if (f.pids.empty()) {
    out << " (pid=" << pid << ")";
  } else {
    out << " (pids=";
    for (size_t i = 0; i < f.pids.size(); ++i) out << (i == 0 ? "" : ",") << f.pids[i];
    out << ")";
  }
  out << st.Reset() << '\n';
  out << "  " << st.Bold() << f.message << st.Reset() << '\n';
  if (f.process.pid != 0) {
    out << "  in process " << f.process.pid << " (" << f.process.command << "), child of " << f.process.ppid << '\n';
  }
  if (f.count > 1) out << "  (seen " << f.count << " times; the first is shown)\n";
  if (f.sections.empty() && !f.primary.file.empty()) RenderFrames({f.primary}, true, sources, out);
  for (const Section& s : f.sections) {
    out << '\n';
    RenderSection(s, st, info.full_stacks, FindingTest(f), sources, out);
  }
  if (!f.sections.empty() || !f.notes.empty()) out << '\n';
  for (const std::string& note : f.notes) out << "  hint: " << note << '\n';
  RenderSummary(f, out);
}

void RenderText(const std::vector<Finding>& findings, const ReportInfo& info, SourceLines& sources,
                std::ostream& out) {
  // Under pytest, findings come grouped by the test they were found in, in the order
  // the tests first appear (the run's order).
  std::vector<std::string> tests;
  for (const Finding& f : findings) {
    if (std::find(tests.begin(), tests.end(), FindingTest(f)) == tests.end()) tests.push_back(FindingTest(f));
  }
  const bool grouped = tests.size() > 1 || (tests.size() == 1 && !tests[0].empty());
  for (const std::string& test : tests) {
    if (grouped) out << "pyrace: " << (test.empty() ? std::string("outside any test") : "in test " + test) << ":\n";
    for (const Finding& f : findings) {
      if (FindingTest(f) != test) continue;
      out << kSeparator << '\n';
      RenderTextFinding(f, info, sources, out);
      out << kSeparator << '\n';
    }
  }
  RenderTrailer(findings, info, out);
}

}  // namespace pyrace
