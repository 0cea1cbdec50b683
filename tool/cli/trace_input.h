// What replay says of a trace it could read only in part (docs/usage.md): every event
// before the damage is analysed, and stderr says where it stopped.
#pragma once

#include <string>

#include "runtime/trace/trace.h"

namespace pyrace {

// Nothing for a whole trace. name: the input the message is about, "" when replay has
// only one.
void NotePartialTrace(const ReadStatus& status, const std::string& name);

}  // namespace pyrace
