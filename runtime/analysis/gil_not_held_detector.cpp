#include "runtime/analysis/gil_not_held_detector.h"

#include <string>

#include "runtime/analysis/describe.h"

namespace pyrace {

namespace {

// kGilNotHeld: obj 0 = a reference count change, 1 = a C-API call; aux = StrId of the
// operation ("Py_DECREF") when the recorder could give one.
bool IsRefcount(const Event& e) { return e.obj == 0; }

std::string Operation(const Event& e, const Symbols& syms) {
  std::string_view what = e.aux != 0 ? syms.str(e.aux) : std::string_view();
  if (!what.empty()) return std::string(what);
  return IsRefcount(e) ? "reference count change" : "C-API call";
}

std::string Message(const Event& e, const Symbols& syms, const SourceLocation& site) {
  std::string m = Operation(e, syms);
  if (e.aux != 0) m += IsRefcount(e) ? " (reference count change)" : " (C-API call)";
  m += " without the GIL";
  if (!site.function.empty()) m += " in " + site.function;
  return m + " at " + ShortLocation(site);
}

// The stack is the C site on top of the thread's Python stack (when the recorder
// could have it): shown apart, since the C line is what to fix.
Finding Build(const Event& e, const Symbols& syms) {
  const std::vector<Frame>& frames = syms.stack(e.stack);
  Finding f;
  f.kind = FindingKind::kGilNotHeld;
  f.primary = TopLocation(syms, e.stack);
  f.message = Message(e, syms, f.primary);
  Section c_site{Operation(e, syms) + " without the GIL by thread " + ThreadLabel(syms, e.tid) + ":", {}};
  if (!frames.empty()) c_site.frames.push_back(f.primary);
  f.sections.push_back(std::move(c_site));
  if (frames.size() > 1) {
    Section python{"Python stack of the thread:", {}};
    for (size_t i = 1; i < frames.size(); ++i) python.frames.push_back(FrameLocation(syms, frames[i]));
    f.sections.push_back(std::move(python));
  }
  AddThreadStartedSection(syms, e.tid, f);
  f.notes.push_back("hold the GIL (Py_END_ALLOW_THREADS before this line, or PyGILState_Ensure)");
  return f;
}

}  // namespace

void GilNotHeldDetector::OnEvent(const Event& e, const AnalysisContext& ctx) {
  const Symbols& syms = *ctx.syms;
  SourceLocation site = TopLocation(syms, e.stack);
  std::string key = site.file + ":" + std::to_string(site.line) + (IsRefcount(e) ? "|refcount" : "|api");
  if (!reports_.Bump(FindingKind::kGilNotHeld, key)) reports_.Add(Build(e, syms), key, ctx.seq);
}

void GilNotHeldDetector::Finish(const AnalysisContext&, FindingSink& sink) { reports_.MoveTo(sink); }

}  // namespace pyrace
