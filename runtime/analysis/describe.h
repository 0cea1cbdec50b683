// Turning ids into report pieces, written once for every detector: a StackId becomes
// a Section of SourceLocations, a LockId "L1 (created at a.py:3)", a Tid
// "T1 (Thread-1)". Messages use base names of files; sections keep the full paths.
#pragma once

#include <string>

#include "runtime/model/event.h"
#include "runtime/model/finding.h"
#include "runtime/model/symbols.h"

namespace pyrace {

SourceLocation FrameLocation(const Symbols& syms, const Frame& f);
// The innermost frame of a stack; an empty location for an unknown stack.
SourceLocation TopLocation(const Symbols& syms, StackId stack);
Section StackSection(const Symbols& syms, StackId stack, std::string title);

// "a.py:3" with the file's base name; "?" when unknown.
std::string ShortLocation(const SourceLocation& loc);
// "/full/path/a.py:3": the top frame as a dedup key component (stable across runs).
std::string SiteKey(const Symbols& syms, StackId stack);

std::string LockName(LockId l);                         // "L1"; "GIL" for lock 0
std::string LockDescription(const Symbols& syms, LockId l);  // "L1 (created at a.py:3)"
StackId LockCreateStack(const Symbols& syms, LockId l);

std::string ThreadName(const Symbols& syms, Tid t);   // "Thread-1"; "T7" when unnamed
std::string ThreadLabel(const Symbols& syms, Tid t);  // "T1 (Thread-1)"

// "Lock L1 created at:" / "Thread T1 (Thread-1) started at:" sections; nothing when
// the stack is unknown (the main thread has no start site).
void AddLockCreatedSection(const Symbols& syms, LockId l, Finding& f);
void AddThreadStartedSection(const Symbols& syms, Tid t, Finding& f);

}  // namespace pyrace
