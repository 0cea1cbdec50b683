// What replay says of a trace it could read only in part (docs/usage.md): every event
// before the damage is analysed, and stderr says where it stopped.
#pragma once

#include <string>

#include "runtime/trace/trace.h"

namespace pyrace {

// Reads the trace at path ("-": standard input) into sink.
ReadStatus ReadTrace(TraceReader& reader, const std::string& path, EventSink& sink);

// "cannot <verb> 'path': why", for a trace that is Unreadable().
std::string CannotRead(const std::string& verb, const std::string& path, const ReadStatus& status);

// Nothing for a whole trace. name: the input the message is about, "" when replay has
// only one.
void NotePartialTrace(const ReadStatus& status, const std::string& name);

}  // namespace pyrace
