#include "runtime/trace/export/export.h"

namespace pyrace {

void StdExporter::Line(Tid tid, const char* op, char prefix, const std::string& id, StackId loc) {
  out_ << 'T' << tid << '|' << op << '(' << prefix << id << ")|" << loc << '\n';
  ++lines_;
}

void StdExporter::OnEvent(const Event& e, const Symbols& /*syms*/) {
  const std::string obj = std::to_string(e.obj);
  switch (e.kind) {
    case EventKind::kLockAcquired:
      if (!(e.flags & kFlagReentrant)) Line(e.tid, "acq", 'L', obj, e.stack);
      return;
    case EventKind::kLockRelease:
      if (!(e.flags & (kFlagReentrant | kFlagError | kFlagFreed))) Line(e.tid, "rel", 'L', obj, e.stack);
      return;
    case EventKind::kThreadStart: return Line(e.tid, "fork", 'T', obj, e.stack);
    case EventKind::kThreadJoin: return Line(e.tid, "join", 'T', obj, e.stack);
    case EventKind::kAccess:
      if (e.flags & kFlagReadModifyWrite) {
        Line(e.tid, "r", 'V', obj, e.stack);
        Line(e.tid, "w", 'V', obj, e.stack);
      } else {
        Line(e.tid, (e.flags & kFlagWrite) ? "w" : "r", 'V', obj, e.stack);
      }
      return;
    case EventKind::kHandoffSend:
    case EventKind::kHandoffRecv:
      Line(e.tid, "acq", 'L', "h" + obj, e.stack);
      Line(e.tid, "rel", 'L', "h" + obj, e.stack);
      return;
    default:
      return;  // RAPID has no counterpart
  }
}

void ExportStd(std::span<const Event> events, const Symbols& syms, std::ostream& out) {
  StdExporter exporter(out);
  for (const Event& e : events) exporter.OnEvent(e, syms);
  exporter.Finish(syms);
}

}  // namespace pyrace
