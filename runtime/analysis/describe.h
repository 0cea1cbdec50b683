// Turning ids into report pieces, written once for every detector: a StackId becomes
// a Section of SourceLocations, a LockId "L1 (created at a.py:3)", a Tid
// "T1 (Thread-1)". Messages use base names of files; sections keep the full paths.
#pragma once

#include <string>
#include <string_view>

#include "runtime/model/event.h"
#include "runtime/model/finding.h"
#include "runtime/model/machinery.h"
#include "runtime/model/symbols.h"

namespace pyrace {

SourceLocation FrameLocation(const Symbols& syms, const Frame& f);
// The innermost frame of a stack; an empty location for an unknown stack.
SourceLocation TopLocation(const Symbols& syms, StackId stack);

// IsSyncMachinery (runtime/model/machinery.h): the standard library's lock API.
// Made while one of those modules' body ran (directly or through threading's RLock()
// factory): threading's registry locks (`_active_limbo_lock`, `_shutdown_locks_lock`),
// concurrent.futures' `_global_shutdown_lock`. They guard the machinery's own
// bookkeeping, not user data.
bool IsMachineryModuleLock(const Symbols& syms, LockId l);
// Where the user's code performed the operation: the innermost frame outside that
// machinery (the top frame when every frame is machinery). Primary locations, the
// sites in messages and dedup keys use it; sections keep every frame.
SourceLocation PrimaryLocation(const Symbols& syms, StackId stack);
// The same frame, by reference; nullptr for an empty stack.
const Frame* PrimaryFrame(const Symbols& syms, StackId stack);
// The synchronization API the user's code called when the stack's top is inside the
// machinery ("Barrier.wait" for [Condition.wait, Barrier._wait, Barrier.wait, user]);
// empty when the top frame is the user's own.
std::string MachineryApi(const Symbols& syms, StackId stack);
Section StackSection(const Symbols& syms, StackId stack, std::string title);

// "a.py:3" with the file's base name; "?" when unknown.
std::string ShortLocation(const SourceLocation& loc);
// "/full/path/a.py:3": the primary frame as a dedup key component (stable across runs).
std::string SiteKey(const Symbols& syms, StackId stack);

std::string LockName(LockId l);                         // "L1"; "GIL" for lock 0
// "PooledDatabase._pool_lock (L1)" for a lock the program keeps under a name (the
// attribute or global its creation was stored into), "L1" otherwise.
std::string LockLabel(const Symbols& syms, LockId l);
// Its label, and where it was created when it has no name: "L1 (created at a.py:3)".
std::string LockDescription(const Symbols& syms, LockId l);
StackId LockCreateStack(const Symbols& syms, LockId l);
// The lock as a node of a finding's graph: its name, or where it was created.
GraphNode LockGraphNode(const Symbols& syms, LockId l);

std::string ThreadName(const Symbols& syms, Tid t);   // "Thread-1"; "T7" when unnamed
std::string ThreadLabel(const Symbols& syms, Tid t);  // "T1 (Thread-1)"

// "Lock L1 created at:" / "Thread T1 (Thread-1) started at:" sections; nothing when
// the stack is unknown (the main thread has no start site).
void AddLockCreatedSection(const Symbols& syms, LockId l, Finding& f);
void AddThreadStartedSection(const Symbols& syms, Tid t, Finding& f);

}  // namespace pyrace
