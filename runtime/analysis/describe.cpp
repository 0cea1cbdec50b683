#include "runtime/analysis/describe.h"

namespace pyrace {

SourceLocation FrameLocation(const Symbols& syms, const Frame& f) {
  SourceLocation loc;
  loc.file = std::string(syms.str(f.file));
  loc.line = f.line;
  loc.function = std::string(syms.str(f.function));
  return loc;
}

SourceLocation TopLocation(const Symbols& syms, StackId stack) {
  const std::vector<Frame>& frames = syms.stack(stack);
  return frames.empty() ? SourceLocation{} : FrameLocation(syms, frames.front());
}

bool IsMachineryModuleLock(const Symbols& syms, LockId l) {
  if (l >= syms.locks.size()) return false;
  for (const Frame& f : syms.stack(syms.locks[l].create_stack)) {
    if (syms.str(f.function) == "<module>" && IsSyncMachinery(syms.str(f.file))) return true;
  }
  return false;
}

const Frame* PrimaryFrame(const Symbols& syms, StackId stack) {
  const std::vector<Frame>& frames = syms.stack(stack);
  for (const Frame& f : frames) {
    if (!IsSyncMachinery(syms.str(f.file))) return &f;
  }
  return frames.empty() ? nullptr : &frames.front();
}

SourceLocation PrimaryLocation(const Symbols& syms, StackId stack) {
  const Frame* f = PrimaryFrame(syms, stack);
  return f ? FrameLocation(syms, *f) : SourceLocation{};
}

std::string MachineryApi(const Symbols& syms, StackId stack) {
  const std::vector<Frame>& frames = syms.stack(stack);
  size_t i = 0;
  while (i < frames.size() && IsSyncMachinery(syms.str(frames[i].file))) ++i;
  if (i == 0) return "";
  return std::string(syms.str(frames[i - 1].function));
}

Section StackSection(const Symbols& syms, StackId stack, std::string title) {
  Section s;
  s.title = std::move(title);
  for (const Frame& f : syms.stack(stack)) s.frames.push_back(FrameLocation(syms, f));
  s.test = std::string(syms.stack_test(stack));
  return s;
}

std::string ShortLocation(const SourceLocation& loc) {
  if (loc.file.empty()) return "?";
  size_t slash = loc.file.find_last_of('/');
  std::string base = slash == std::string::npos ? loc.file : loc.file.substr(slash + 1);
  return base + ":" + std::to_string(loc.line);
}

std::string SiteKey(const Symbols& syms, StackId stack) {
  SourceLocation at = PrimaryLocation(syms, stack);
  if (at.file.empty()) return "?";
  return at.file + ":" + std::to_string(at.line);
}

std::string LockName(LockId l) {
  return l == kGilLock ? std::string("GIL") : "L" + std::to_string(l);
}

StackId LockCreateStack(const Symbols& syms, LockId l) {
  return l < syms.locks.size() ? syms.locks[l].create_stack : kNoStack;
}

GraphNode LockGraphNode(const Symbols& syms, LockId l) {
  GraphNode n;
  n.kind = GraphNodeKind::kLock;
  n.id = LockName(l);
  n.name = std::string(syms.lock_name(l));
  n.created = PrimaryLocation(syms, LockCreateStack(syms, l));
  if (n.name.empty()) n.note = "created at " + ShortLocation(n.created);
  return n;
}

std::string LockLabel(const Symbols& syms, LockId l) {
  std::string_view name = syms.lock_name(l);
  if (name.empty()) return LockName(l);
  return std::string(name) + " (" + LockName(l) + ")";
}

std::string LockDescription(const Symbols& syms, LockId l) {
  if (!syms.lock_name(l).empty()) return LockLabel(syms, l);
  StackId created = LockCreateStack(syms, l);
  if (created == kNoStack || syms.stack(created).empty()) return LockName(l);
  return LockName(l) + " (created at " + ShortLocation(PrimaryLocation(syms, created)) + ")";
}

std::string ThreadName(const Symbols& syms, Tid t) {
  std::string_view name = syms.thread_name(t);
  if (!name.empty()) return std::string(name);
  return t == 0 ? std::string("MainThread") : "T" + std::to_string(t);
}

std::string ThreadLabel(const Symbols& syms, Tid t) {
  return "T" + std::to_string(t) + " (" + ThreadName(syms, t) + ")";
}

void AddLockCreatedSection(const Symbols& syms, LockId l, Finding& f) {
  StackId created = LockCreateStack(syms, l);
  if (syms.stack(created).empty()) return;
  f.sections.push_back(StackSection(syms, created, "Lock " + LockLabel(syms, l) + " created at:"));
}

void AddThreadStartedSection(const Symbols& syms, Tid t, Finding& f) {
  if (t >= syms.threads.size() || syms.stack(syms.threads[t].start_stack).empty()) return;
  f.sections.push_back(StackSection(syms, syms.threads[t].start_stack,
                                    "Thread " + ThreadLabel(syms, t) + " started at:"));
}

}  // namespace pyrace
