#include "tool/cli/report.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tool/common/source_lines.h"
#include "tool/render/html.h"
#include "tool/render/json.h"
#include "tool/render/sarif.h"
#include "tool/render/text.h"
#include "tool/suppress/ignore_comment.h"

namespace pyrace {
namespace {

std::string Render(const std::vector<Finding>& findings, const ReportInfo& info, ReportFormat format,
                   SourceLines& sources) {
  std::ostringstream out;
  switch (format) {
    case ReportFormat::kJson:
      RenderJson(findings, info, out);
      break;
    case ReportFormat::kSarif:
      RenderSarif(findings, out);
      break;
    case ReportFormat::kText:
      RenderText(findings, info, sources, out);
      break;
    case ReportFormat::kHtml:
      RenderHtml(findings, info, sources, out);
      break;
  }
  return out.str();
}

bool WriteAll(FILE* f, const std::string& text) {
  return std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0;
}

}  // namespace

bool Reporter::Prepare(const Options& opts, bool quiet_when_clean, std::string* error) {
  opts_ = opts;
  quiet_when_clean_ = quiet_when_clean;
  if (!opts.suppressions.empty() && !suppressions_.LoadFile(opts.suppressions, error)) return false;
  // A page in the middle of the program's own standard error would be read by nobody.
  if (opts.format == ReportFormat::kHtml && opts.output.empty()) {
    *error = "--format html writes a page: give --output FILE.html (or --output - for standard output)";
    return false;
  }
  // A report that cannot be written would lose the whole run: find out now.
  if (!opts.output.empty() && opts.output != "-") {
    FILE* f = std::fopen(opts.output.c_str(), "ab");
    if (f == nullptr) {
      *error = "cannot write the report to '" + opts.output + "': " + std::strerror(errno);
      return false;
    }
    std::fclose(f);
  }
  return true;
}

void Reporter::EmitNow(const Finding& f, uint32_t pid, FILE* default_stream) {
  if (opts_.format != ReportFormat::kText || !opts_.output.empty()) return;
  SourceLines sources;
  if (suppressions_.Suppresses(f) || IgnoredByComment(f, sources)) return;
  ReportInfo info;
  info.pid = pid;
  info.color = opts_.color;
  info.full_stacks = opts_.full_stacks;
  std::ostringstream out;
  RenderTextFinding(f, info, sources, out);
  out << "pyrace: the program keeps running (--on-deadlock=continue)\n";
  if (WriteAll(default_stream, out.str())) printed_.insert(f.fingerprint);
}

int Reporter::Emit(std::vector<Finding> findings, uint32_t pid, FILE* default_stream, std::string* error) {
  SourceLines sources;
  ReportInfo info;
  info.pid = pid;
  info.color = opts_.color;
  info.full_stacks = opts_.full_stacks;
  info.quiet_when_clean = quiet_when_clean_;
  std::vector<Finding> kept;
  for (Finding& f : findings) {
    if (suppressions_.Suppresses(f) || IgnoredByComment(f, sources)) {
      ++info.suppressed;
    } else {
      kept.push_back(std::move(f));
    }
  }
  info.unused_suppressions = suppressions_.Unused();
  const int reported = static_cast<int>(kept.size());
  if (opts_.format == ReportFormat::kText && !printed_.empty()) {
    std::erase_if(kept, [&](const Finding& f) { return printed_.count(f.fingerprint) != 0; });
    info.reported_earlier = static_cast<uint32_t>(reported - static_cast<int>(kept.size()));
  }
  if (!opts_.output.empty() && opts_.output != "-") info.color = false;
  const std::string text = Render(kept, info, opts_.format, sources);
  if (opts_.output.empty() || opts_.output == "-") {
    WriteAll(opts_.output.empty() ? default_stream : stdout, text);
    return reported;
  }
  FILE* f = std::fopen(opts_.output.c_str(), "wb");
  if (f == nullptr) {
    *error = "cannot write the report to '" + opts_.output + "': " + std::strerror(errno);
    return -1;
  }
  const bool ok = WriteAll(f, text);
  std::fclose(f);
  if (!ok) {
    *error = "cannot write the report to '" + opts_.output + "'";
    return -1;
  }
  return reported;
}

}  // namespace pyrace
