#include "tool/cli/replay_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/analysis/analyzer.h"
#include "runtime/trace/export/export.h"
#include "runtime/trace/trace.h"
#include "tool/cli/exit_codes.h"
#include "tool/cli/option_flags.h"
#include "tool/cli/replay_many.h"
#include "tool/cli/trace_input.h"
#include "tool/cli/process_streams.h"
#include "tool/cli/report.h"

namespace pyrace {
namespace {

// `--export chrome|std`: the trace's events in another tool's format instead of a
// report, to --output or standard output. A damaged trace exports up to its damage.
int Export(const std::string& path, const std::string& format, const std::string& output) {
  std::ofstream file;
  if (!output.empty()) {
    file.open(output, std::ios::binary);
    if (!file) return Fail("cannot write '" + output + "'");
  }
  std::ostream& out = output.empty() ? std::cout : file;
  TraceReader reader;
  ReadStatus status;
  auto run = [&](auto&& exporter) {
    status = ReadTrace(reader, path, exporter);
    if (!status.Unreadable()) exporter.Finish(reader.symbols());
  };
  if (format == "chrome") {
    run(ChromeTraceExporter(out));
  } else {
    run(StdExporter(out));
  }
  if (status.Unreadable()) {
    return Fail(CannotRead("export", path, status));
  }
  NotePartialTrace(status, "");
  out.flush();
  if (!out) return Fail("writing the export failed");
  return kExitClean;
}

}  // namespace

int ReplayMain(int argc, char** argv) {
  CLI::App app("Analyse a trace written by `pyrace record` and report its findings.", "pyrace replay");
  app.footer("Usage: pyrace replay FILE [options]\n"
             "       pyrace replay FILE|DIR|SUMMARY... [--summary-out PATH] [options]\n\n"
             "Several traces (or a directory of them) are each analysed, and their lock graphs merged: a "
             "lock-order inversion whose orders were taken in different processes or runs is reported too. "
             "Lock-class summaries written by --summary-out merge the same way (docs/fleets.md).\n"
             "Options also come from env PYRACE_OPTIONS (key=value ...). "
             "The report goes to standard output unless --output is given.\n"
             "Exit code: 0 clean, 1 findings, 2 usage error or unreadable trace.");
  std::vector<std::string> paths;
  app.add_option("trace", paths, "Trace files (- for standard input), directories of them, lock-class summaries")
      ->required();
  std::string summary_out;
  app.add_option("--summary-out", summary_out,
                 "Also write each trace's lock-class summary: into this directory (when it ends with /, "
                 "exists, or several traces are given), else to this file");
  std::string export_format;
  app.add_option("--export", export_format,
                 "Write the trace's events instead of a report: chrome (chrome://tracing, Perfetto) or std "
                 "(RAPID's STD format), to --output or standard output.")
      ->check(CLI::IsMember({"chrome", "std"}));
  OptionArgs args;
  AddOptionFlags(app, &args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  KeepGiven(app, &args);
  Options opts;
  std::string error;
  if (!ResolveOptions(args, &opts, &error)) return Fail(error);
  if (!export_format.empty()) {
    if (paths.size() != 1) return Fail("--export takes one trace");
    return Export(paths[0], export_format, opts.output);
  }
  std::error_code ec;
  if (paths.size() > 1 || !summary_out.empty() || std::filesystem::is_directory(paths[0], ec) ||
      (paths[0] != "-" && LooksLikeSummary(paths[0]))) {
    return ReplayMany(paths, opts, summary_out);
  }
  const std::string& path = paths[0];
  Reporter reporter;
  if (!reporter.Prepare(opts, /*quiet_when_clean=*/false, &error)) return Fail(error);

  Analyzer analyzer(ToAnalysisOptions(opts));
  TraceReader reader;
  const ReadStatus status = ReadTrace(reader, path, analyzer);
  if (status.Unreadable()) {
    return Fail(CannotRead("replay", path, status));
  }
  NotePartialTrace(status, "");

  // The run's child processes, kept by record next to the trace (process_streams.h).
  ChildrenResult children;
  if (path != "-") children = ReadChildrenDir(ChildrenDir(path), ToAnalysisOptions(opts));
  std::vector<Finding> findings =
      CollectProcessFindings(analyzer.Finish(reader.symbols()), analyzer, reader, children, opts.max_findings);
  const int reported = reporter.Emit(std::move(findings), reader.header().pid, stdout, &error);
  if (reported < 0) return Fail(error);
  return reported > 0 ? kExitFindings : kExitClean;
}

}  // namespace pyrace
