#include "tool/cli/replay_many.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "runtime/analysis/analyzer.h"
#include "runtime/analysis/lock_class/merge.h"
#include "runtime/analysis/lock_class/summary.h"
#include "runtime/trace/trace.h"
#include "tool/cli/exit_codes.h"
#include "tool/cli/option_flags.h"
#include "tool/cli/process_streams.h"
#include "tool/cli/report.h"
#include "tool/cli/trace_input.h"

namespace pyrace {

namespace {

namespace fs = std::filesystem;

enum class InputKind { kTrace, kSummary };

struct Input {
  std::string path;
  InputKind kind;
};

}  // namespace

// A summary is a JSON object; anything else is read as a trace (whose reader names
// what is wrong with it).
bool LooksLikeSummary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c) && (c == ' ' || c == '\n' || c == '\t' || c == '\r')) {
  }
  return in && c == '{';
}

namespace {

// Files of a directory in name order: the inputs of a fleet's reduce step arrive as a
// directory of shards' outputs. Hidden files are skipped.
bool Expand(const std::vector<std::string>& given, std::vector<Input>* out, std::string* error) {
  for (const std::string& path : given) {
    std::error_code ec;
    if (path != "-" && fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
        std::string name = e.path().filename().string();
        if (!name.empty() && name[0] != '.' && e.is_regular_file(ec)) files.push_back(e.path().string());
      }
      if (ec) {
        *error = "cannot list '" + path + "': " + ec.message();
        return false;
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        *error = "no traces or summaries in '" + path + "'";
        return false;
      }
      for (std::string& f : files) out->push_back({f, LooksLikeSummary(f) ? InputKind::kSummary : InputKind::kTrace});
    } else {
      out->push_back({path, path != "-" && LooksLikeSummary(path) ? InputKind::kSummary : InputKind::kTrace});
    }
  }
  return true;
}

bool ReadWhole(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *text = s.str();
  return !in.bad();
}

bool WriteWhole(const std::string& path, const std::string& text, std::string* error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    *error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

// --summary-out names a directory when it ends with '/', is one, or several traces are
// summarized; else the one trace's summary file.
bool SummaryOutIsDirectory(const std::string& out, size_t traces) {
  std::error_code ec;
  return traces > 1 || out.back() == '/' || fs::is_directory(out, ec);
}

std::string SummaryPath(const std::string& out, const std::string& trace, size_t traces) {
  if (!SummaryOutIsDirectory(out, traces)) return out;
  std::string base = trace == "-" ? "stdin" : fs::path(trace).filename().string();
  return (fs::path(out) / (base + ".summary.json")).string();
}

}  // namespace

int ReplayMany(const std::vector<std::string>& given, const Options& opts, const std::string& summary_out) {
  std::vector<Input> inputs;
  std::string error;
  if (!Expand(given, &inputs, &error)) return Fail(error);
  const size_t traces = static_cast<size_t>(
      std::count_if(inputs.begin(), inputs.end(), [](const Input& i) { return i.kind == InputKind::kTrace; }));
  if (!summary_out.empty()) {
    if (traces == 0) return Fail("--summary-out needs a trace to summarize");
    std::error_code ec;
    if (SummaryOutIsDirectory(summary_out, traces) && !fs::is_directory(summary_out, ec) &&
        !fs::create_directories(summary_out, ec)) {
      return Fail("cannot make the directory '" + summary_out + "'" + (ec ? ": " + ec.message() : ""));
    }
  }
  Reporter reporter;
  if (!reporter.Prepare(opts, /*quiet_when_clean=*/false, &error)) return Fail(error);

  // Everything is checked before anything is reported: a bad input is a usage error
  // that names it, not a report that silently lacks it.
  std::vector<LockClassSummary> summaries;
  std::vector<Finding> findings;
  std::unordered_map<std::string, size_t> by_fingerprint;
  uint32_t first_pid = 0;  // the report's pid: the first trace's
  bool have_pid = false;
  for (const Input& in : inputs) {
    if (in.kind == InputKind::kSummary) {
      std::string text;
      LockClassSummary s;
      if (!ReadWhole(in.path, &text)) return Fail("cannot read '" + in.path + "'");
      if (!ParseSummary(text, &s, &error)) return Fail("'" + in.path + "': " + error);
      summaries.push_back(std::move(s));
      continue;
    }
    Analyzer analyzer(ToAnalysisOptions(opts));
    TraceReader reader;
    const ReadStatus status = ReadTrace(reader, in.path, analyzer);
    if (status.Unreadable()) return Fail(CannotRead("replay", in.path, status));
    NotePartialTrace(status, in.path);
    const TraceHeader& h = reader.header();
    if (!have_pid) first_pid = h.pid;
    have_pid = true;
    // The run's child processes, kept by record next to its trace: analysed as a single
    // replay analyses them, and their lock classes join the merge.
    ChildrenResult children;
    if (in.path != "-") children = ReadChildrenDir(ChildrenDir(in.path), ToAnalysisOptions(opts));
    std::vector<Finding> own = analyzer.Finish(reader.symbols());
    if (inputs.size() > 1) NameProcess(own, h);
    for (Finding& f : CollectProcessFindings(std::move(own), analyzer, reader, children, opts.max_findings)) {
      // The same bug seen in several traces is one finding, counted.
      auto [it, inserted] = by_fingerprint.try_emplace(f.fingerprint, findings.size());
      if (!inserted && !f.fingerprint.empty()) {
        findings[it->second].count += f.count;
        continue;
      }
      if (inputs.size() > 1) f.notes.push_back("recorded in " + in.path);
      findings.push_back(std::move(f));
    }
    LockClassSummary s = SummarizeLockClasses(analyzer, reader.symbols(),
                                              ProcessIdentity{h.pid, h.argv, in.path, h.start_unix_us});
    if (!summary_out.empty() && !WriteWhole(SummaryPath(summary_out, in.path, traces), SerializeSummary(s), &error)) {
      return Fail(error);
    }
    summaries.push_back(std::move(s));
    for (const auto& child : children.streams) {
      if (child->status.bytes == 0) continue;  // connected, then ended before its header
      const TraceHeader& ch = child->reader.header();
      summaries.push_back(SummarizeLockClasses(*child->analyzer, child->reader.symbols(),
                                               ProcessIdentity{ch.pid, ch.argv, in.path, ch.start_unix_us}));
    }
  }
  for (Finding& f : MergeLockClassSummaries(summaries, opts.max_findings)) {
    auto [it, inserted] = by_fingerprint.try_emplace(f.fingerprint, findings.size());
    // Already reported from one trace (the same sites inverted inside one process or
    // across a run's own processes): that report stands, as CollectProcessFindings has it.
    if (!inserted) continue;
    findings.push_back(std::move(f));
  }
  std::stable_sort(findings.begin(), findings.end(),
                   [](const Finding& a, const Finding& b) { return a.kind < b.kind; });
  const int reported = reporter.Emit(std::move(findings), first_pid, stdout, &error);
  if (reported < 0) return Fail(error);
  return reported > 0 ? kExitFindings : kExitClean;
}

}  // namespace pyrace
