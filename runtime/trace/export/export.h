// Exporters of a trace's events to other tools' formats. Each is an EventSink, so it
// streams behind a TraceReader (`reader.ReadFile(path, exporter)`, then
// `exporter.Finish(reader.symbols())`); the Export* functions do the same over
// events already in memory.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/model/event.h"
#include "runtime/model/symbols.h"
#include "runtime/trace/trace.h"

namespace pyrace {

// Chrome trace-event JSON (chrome://tracing, ui.perfetto.dev): one track per thread
// named after it; every lock hold is a complete ("X") slice from the acquire to the
// release, named after the lock and carrying where it was acquired and released;
// failed try-acquires, bad releases, locks held past their frame, thread start/exit
// and the deadlock report are instant events. Locks still held when the trace ends
// get a slice up to the last timestamp with args.still_held = true.
class ChromeTraceExporter : public EventSink {
 public:
  explicit ChromeTraceExporter(std::ostream& out);
  void OnHeader(const TraceHeader& header) override;
  void OnEvent(const Event& e, const Symbols& syms) override;
  // Closes the open slices, names the threads and ends the JSON document.
  void Finish(const Symbols& syms);

 private:
  struct Hold {
    uint64_t since_us;
    StackId stack;
  };
  void OnAcquired(const Event& e, const Symbols& syms);
  void OnRelease(const Event& e, const Symbols& syms);
  void Slice(Tid tid, uint64_t lock, const Hold& hold, uint64_t end_us, StackId release_stack,
             bool still_held, const Symbols& syms);
  void Instant(const Event& e, const char* name, const Symbols& syms);
  void Begin();

  std::ostream& out_;
  bool begun_ = false;
  bool first_ = true;
  uint32_t pid_ = 0;
  uint64_t last_us_ = 0;
  std::map<Tid, bool> seen_threads_;
  // Per thread, the locks it holds (outermost acquisition), in a stable order.
  std::map<Tid, std::map<uint64_t, Hold>> held_;
};

// RAPID's STD format (github.com/focs-lab/rapid), one event per line:
//   T<tid>|acq(L<lock>)|<loc>   rel(L..)   r(V<loc id>)   w(V..)   fork(T<child>)   join(T<child>)
// <loc> is the event's stack id (a call-site id; 0 when unknown). Only what RAPID
// models is written: re-entrant RLock levels, failed try-acquires, erroring releases
// and deadlock reports are left out; a read-modify-write access is r then w; a hand-off
// send/receive on channel H becomes acq(Lh<H>) rel(Lh<H>) on both sides, which gives
// RAPID the send -> receive happens-before edge.
class StdExporter : public EventSink {
 public:
  explicit StdExporter(std::ostream& out) : out_(out) {}
  void OnEvent(const Event& e, const Symbols& syms) override;
  void Finish(const Symbols& /*syms*/) { out_.flush(); }
  uint64_t lines() const { return lines_; }

 private:
  void Line(Tid tid, const char* op, char prefix, const std::string& id, StackId loc);
  std::ostream& out_;
  uint64_t lines_ = 0;
};

void ExportChrome(std::span<const Event> events, const Symbols& syms, std::ostream& out,
                  const TraceHeader& header = TraceHeader{});
void ExportStd(std::span<const Event> events, const Symbols& syms, std::ostream& out);

}  // namespace pyrace
