#include <gtest/gtest.h>

#include "tool/cli/program_args.h"

namespace pyrace {
namespace {

using Args = std::vector<std::string>;

TEST(SplitProgramArgs, ScriptEndsPyracesArguments) {
  const ProgramArgs p = SplitProgramArgs({"--format", "json", "--color", "app.py", "--format", "x", "-m"}, {});
  EXPECT_EQ(p.tool_args, (Args{"--format", "json", "--color"}));
  EXPECT_EQ(p.script, "app.py");
  EXPECT_EQ(p.module, "");
  EXPECT_EQ(p.args, (Args{"--format", "x", "-m"}));
  EXPECT_EQ(InterpreterArgs(p), (Args{"app.py", "--format", "x", "-m"}));
}

TEST(SplitProgramArgs, ValuesOfPyraceOptionsAreNotTheScript) {
  const ProgramArgs p = SplitProgramArgs({"--output", "report.txt", "--exitcode=3", "app.py"}, {});
  EXPECT_EQ(p.tool_args, (Args{"--output", "report.txt", "--exitcode=3"}));
  EXPECT_EQ(p.script, "app.py");
}

TEST(SplitProgramArgs, DashMTakesTheModuleAndTheRestIsTheProgramsOwn) {
  const ProgramArgs p = SplitProgramArgs({"--detect", "deadlocks", "-m", "pytest", "-x", "--format", "tests/"}, {});
  EXPECT_EQ(p.tool_args, (Args{"--detect", "deadlocks"}));
  EXPECT_EQ(p.module, "pytest");
  EXPECT_EQ(p.args, (Args{"-x", "--format", "tests/"}));
  EXPECT_EQ(InterpreterArgs(p), (Args{"-m", "pytest", "-x", "--format", "tests/"}));
  EXPECT_EQ(SplitProgramArgs({"-mpytest", "-q"}, {}).module, "pytest");
}

TEST(SplitProgramArgs, DoubleDashEndsOptionsBeforeAScriptThatLooksLikeOne) {
  const ProgramArgs p = SplitProgramArgs({"--", "-weird.py", "a"}, {});
  EXPECT_EQ(p.script, "-weird.py");
  EXPECT_EQ(p.args, (Args{"a"}));
}

TEST(SplitProgramArgs, SubcommandValueFlags) {
  const ProgramArgs p = SplitProgramArgs({"-o", "run.pyrt", "app.py"}, {"-o"});
  EXPECT_EQ(p.tool_args, (Args{"-o", "run.pyrt"}));
  EXPECT_EQ(p.script, "app.py");
}

TEST(SplitProgramArgs, NothingToRun) {
  const ProgramArgs p = SplitProgramArgs({"--color"}, {});
  EXPECT_TRUE(p.script.empty());
  EXPECT_TRUE(p.module.empty());
}

}  // namespace
}  // namespace pyrace
