// `pyrace replay FILE [options]`: analyse a recorded trace offline with the same
// analyses `run` uses live, so the findings are the same.
#pragma once

namespace pyrace {

// argv[0] is "replay". Exit code: 0 clean, 1 findings, 2 usage error or unreadable trace.
int ReplayMain(int argc, char** argv);

}  // namespace pyrace
