// Which frames belong to the standard library's synchronization machinery rather than
// to the user's program: the recorder names locks from the first frame outside it, the
// analyses point findings at that frame, and the text report folds the frames inside.
#pragma once

#include <string_view>

namespace pyrace {

// A file of the standard library, by its install path (…/lib/python3.X/) or a source
// tree's (…/Lib/).
bool IsStdlibFile(std::string_view file);

// The standard library's synchronization modules (threading, queue,
// concurrent.futures) implement the lock API: `with cond:` acquires inside
// Condition.__enter__, `t.join()` waits inside Thread._wait_for_tstate_lock.
bool IsSyncMachinery(std::string_view file);

// Frames of pyrace's own: its import hook (_pyrace_instrument) and the runpy frames it
// starts the program through.
bool IsPyraceFrame(std::string_view file);

}  // namespace pyrace
