// `pyrace run [options] script.py args...` and `pyrace record -o FILE [options] ...`:
// run the program under the runtime, analyse its trace live, report when it ends.
#pragma once

namespace pyrace {

// argv[0] is the subcommand name. Returns the process exit code.
int RunMain(int argc, char** argv);
int RecordMain(int argc, char** argv);

}  // namespace pyrace
