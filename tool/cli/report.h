// The last stage shared by run, record and replay: drop suppressed findings, render the
// rest in the chosen format, write them where the options say.
#pragma once

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "runtime/model/finding.h"
#include "runtime/options/options.h"
#include "tool/suppress/suppressions.h"

namespace pyrace {

class Reporter {
 public:
  // Loads the suppressions file and checks the format before anything runs, so a typo
  // is a usage error, not a lost run. False with *error.
  // quiet_when_clean: print nothing in text format when there is nothing to report.
  bool Prepare(const Options& opts, bool quiet_when_clean, std::string* error);

  // Filters, renders and writes the report: to --output when given ("-" is standard
  // output), else to default_stream. Returns the number of findings reported, -1 when the report could
  // not be written (*error says why).
  int Emit(std::vector<Finding> findings, uint32_t pid, FILE* default_stream, std::string* error);

  // A finding the user must see while the program still runs (a hang caught with
  // --on-deadlock=continue): printed now when the report is text on default_stream,
  // and not printed again by Emit, which still counts it.
  void EmitNow(const Finding& f, uint32_t pid, FILE* default_stream);

 private:
  Options opts_;
  bool quiet_when_clean_ = false;
  Suppressions suppressions_;
  std::set<std::string> printed_;  // fingerprints EmitNow wrote
};

}  // namespace pyrace
