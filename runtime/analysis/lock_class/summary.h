// A process's lock-order graph reduced to lock *classes*: what another process, or
// another recorded run, needs to predict an inversion whose two orders were taken in
// different address spaces. Built from one trace alone (a map step), merged with
// others by merge.h (the reduce step); small, and serialized in a stable JSON form
// (docs/fleets.md).
//
// A lock's class is its creation site (the innermost frame of its creation stack
// outside the standard library's lock machinery) and the name the program keeps it
// under ("Account.lock"). Not the whole creation stack (the in-process lock_view=class
// key): the frames below the creation site differ between processes for the same lock
// (a spawned child imports the module under multiprocessing's bootstrap, a pytest
// worker under xdist's), while the site and the name are what the code says.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/analysis/lock_graph.h"
#include "runtime/model/event.h"
#include "runtime/model/symbols.h"

namespace pyrace {

class Analyzer;

// Which process of which run a summary comes from: the trace header's pid and argv,
// and a label for the run (the trace's file name when replayed; empty live).
struct ProcessIdentity {
  uint32_t pid = 0;
  std::vector<std::string> argv;
  std::string run;
  uint64_t start_unix_us = 0;
};

// One class edge "to was acquired while from was held", over every instance pair of
// those classes in the process. Lock ids index LockClassSummary::syms.locks (one per
// class), tids its threads, stacks its stacks.
struct LockClassEdge {
  LockId from = 0;
  LockId to = 0;
  uint64_t count = 0;
  // Classes held at every occurrence besides `from` (the in-process gate set, mapped
  // to classes and intersected over the instance edges of this class pair).
  std::vector<LockId> gate;
  // Up to LockGraph::kMaxTakers distinct threads; the first is the witness whose
  // stacks the report shows. from_lock/to_lock are the edge's classes.
  std::vector<EdgeTaker> takers;
};

struct LockClassSummary {
  static constexpr int kFormatVersion = 1;

  ProcessIdentity process;
  // Only what the edges refer to: locks are the classes (kind, creation stack, name),
  // threads the takers (name, start stack), with their stacks and strings. Lock 0 is
  // the GIL, as in a trace.
  Symbols syms;
  // Per class (indexed as syms.locks): how many locks of the process were of it. A class
  // of several is ambiguous across processes (merge.h); 1 for every class of a graph
  // kept by class (lock_view=class), where the process itself took classes for locks.
  std::vector<uint32_t> instances;
  std::vector<LockClassEdge> edges;
};

// "file:line|name" of the lock's class ("<GIL>" for lock 0); empty when the lock has
// neither a known creation site nor a name (created before pyrace was loaded): such a
// lock has no identity outside its process.
std::string LockClassKey(const Symbols& syms, LockId l);

// The summary of one process's lock graph (instance or class view alike).
LockClassSummary SummarizeLockClasses(const LockGraph& graph, const Symbols& syms,
                                      const ProcessIdentity& process);
// The same from a finished Analyzer; an empty summary when it did not analyse locks.
LockClassSummary SummarizeLockClasses(const Analyzer& analyzer, const Symbols& syms,
                                      const ProcessIdentity& process);

// The stable serialized form (JSON, one object; schema in docs/fleets.md).
std::string SerializeSummary(const LockClassSummary& s);
// False with *error ("not a pyrace lock-class summary", "summary format 2 is newer
// than this pyrace reads (1)", "edge 3: lock 9 is not defined") on bad input;
// everything is checked, so a merge never indexes out of range.
bool ParseSummary(std::string_view text, LockClassSummary* out, std::string* error);

// Copies strings and stacks from one Symbols into another, each once: summaries are
// made of a trace's symbols, and merges of summaries'.
class SymbolCopier {
 public:
  SymbolCopier(const Symbols& from, Symbols& to) : from_(from), to_(to) {}
  StrId Str(StrId id);
  StackId Stack(StackId id);

 private:
  const Symbols& from_;
  Symbols& to_;
  std::vector<uint32_t> str_map_, stack_map_;  // 0 = not copied yet (id 0 maps to 0)
};

}  // namespace pyrace
