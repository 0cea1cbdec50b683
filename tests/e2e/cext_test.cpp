// e2e.cext.*: a testdata/cext extension built with clang 14 and the LLVM pass plugin,
// imported by a small driver under `pyrace run --format json`: the exact set of
// (kind, C file, line) must equal the source's `// expect:` annotations, and the exit
// code is 66 with findings, 0 without.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <ostream>

#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

struct Case {
  std::string module;  // testdata/cext/<dir>/<module>.c
  std::string driver;  // Python source; argv[1] is the module's name
  std::string dir = "";  // "run": run-time testdata, which the static lint test does not read
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.module; }

std::string CaseName(const testing::TestParamInfo<Case>& info) { return info.param.module; }

// A checksum call: the bug twin drops a reference inside Py_BEGIN_ALLOW_THREADS.
const char kChecksumDriver[] = R"(import importlib, sys
m = importlib.import_module(sys.argv[1])
assert m.checksum(b"abc") == 294
)";

// The C thread takes the mutex then the GIL; later the main thread, holding the GIL,
// takes the mutex. Run one after the other, so the order is reported, not hit.
const char kOrderDriver[] = R"(import importlib, sys, threading
m = importlib.import_module(sys.argv[1])
done = threading.Event()
m.start(done.set)
assert done.wait(60)
m.pending_count()
)";

// gil_mutex_hang_bug: the C thread holds the mutex; then the main thread, holding the
// GIL, blocks on it and the C thread asks for the GIL. faulthandler's timer is a hang
// guard that needs no GIL: if pyrace missed the hang, the run ends with exit 1.
const char kHangDriver[] = R"(import faulthandler, importlib, sys, time
faulthandler.dump_traceback_later(60, exit=True)
m = importlib.import_module(sys.argv[1])
m.start(lambda: None)
while not m.worker_holds():
    time.sleep(0.01)
print(m.pending_count())
)";

// slow_holder_ok: blocks with the GIL on a mutex a sleeping C thread holds.
const char kSlowHolderDriver[] = R"(import importlib, sys
m = importlib.import_module(sys.argv[1])
m.start()
assert m.read_value() == 42
)";

// gil_busy_ok: C computation holding the GIL, then Python computation, while a C
// thread keeps waiting for the GIL.
const char kGilBusyDriver[] = R"(import importlib, sys, time
m = importlib.import_module(sys.argv[1])
m.start()
m.busy(2.5)
end = time.monotonic() + 1.5
n = 0
while time.monotonic() < end:
    n += sum(range(1000))
assert m.finish() > 0
)";

// daemon_mutex_ok: a detached C thread keeps locking while the interpreter exits.
const char kDaemonMutexDriver[] = R"(import importlib, sys, time
m = importlib.import_module(sys.argv[1])
m.start()
time.sleep(0.2)
)";

std::string CommandOutput(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string PythonConfig(const std::string& expr) {
  return CommandOutput(std::string(PYRACE_CEXT_PYTHON) + " -c \"import sysconfig; print(" + expr + ")\"");
}

// `// expect: kind[, kind...]` on the line of the finding's primary location.
FindingSet CAnnotations(const std::string& source) { return Annotations(source, "// expect:"); }

std::string CextSource(const Case& c) {
  return std::string(PYRACE_CEXT_DIR) + "/" + (c.dir.empty() ? "" : c.dir + "/") + c.module + ".c";
}

// Builds testdata/cext/<module>.c with the plugin next to driver.py (sys.path[0]),
// then runs the driver under pyrace with a JSON report in tmp/report.json.
ToolResult BuildAndRun(const TempDir& tmp, const Case& c) {
  const std::string ext = tmp.File(c.module + PythonConfig("sysconfig.get_config_var('EXT_SUFFIX')"));
  const std::string build = std::string(PYRACE_CEXT_CLANG) + " -g -O1 -fPIC -shared -w -fpass-plugin=" +
                            PYRACE_LLVM_PLUGIN + " -I" + PythonConfig("sysconfig.get_paths()['include']") +
                            " " + CextSource(c) + " -o " + ext + " -lpthread";
  if (std::system(build.c_str()) != 0) return ToolResult{-1, "", "build failed: " + build};
  const std::string driver = tmp.File("driver.py");
  WriteText(driver, c.driver);
  return RunPyrace({"run", "--python", PYRACE_CEXT_PYTHON, "--format", "json", "--output", tmp.File("report.json"),
                    driver, c.module});
}

class CextRun : public testing::TestWithParam<Case> {};

TEST_P(CextRun, FindingsEqualAnnotations) {
  const Case& c = GetParam();
  TempDir tmp;
  const ToolResult r = BuildAndRun(tmp, c);
  const std::string report = tmp.File("report.json");
  const FindingSet expected = CAnnotations(CextSource(c));
  const FindingSet actual = FindingsOf(ReadJson(report));
  EXPECT_EQ(r.exit_code, expected.empty() ? 0 : 66) << r.err;
  EXPECT_EQ(actual, expected) << "expected:\n" << Describe(expected) << "actual:\n" << Describe(actual)
                              << "stderr:\n" << r.err << "\nreport:\n" << ReadText(report);
}

// The report names the operation and points at the C line, with the Python code that
// called into the extension as a second stack.
TEST(Cext, GilNotHeldReportCarriesTheOperationAndThePythonStack) {
  TempDir tmp;
  const ToolResult r = BuildAndRun(tmp, Case{"decref_nogil_bug", kChecksumDriver});
  ASSERT_EQ(r.exit_code, 66) << r.err;
  const nlohmann::json report = ReadJson(tmp.File("report.json"));
  ASSERT_EQ(report.at("findings").size(), 1u) << report.dump(2);
  const nlohmann::json& f = report.at("findings").at(0);
  EXPECT_EQ(f.at("message"), "Py_DECREF (reference count change) without the GIL in checksum at decref_nogil_bug.c:15");
  ASSERT_EQ(f.at("stacks").size(), 2u) << f.dump(2);
  const nlohmann::json& python = f.at("stacks").at(1).at("frames");
  ASSERT_EQ(python.size(), 1u) << f.dump(2);
  EXPECT_EQ(Canonical(python.at(0).at("file")), Canonical(tmp.File("driver.py")));
  EXPECT_EQ(python.at(0).at("line"), 3);
}

// The worker holds a Python lock and blocks in C on the mutex (GIL released); main
// holds the mutex and blocks on the Python lock. The ordinary watchdog (it can get the
// GIL) sees the cycle because the C-level wait is in its snapshot.
const char kMutexAndLockDriver[] = R"(import faulthandler, importlib, sys, threading
faulthandler.dump_traceback_later(60, exit=True)
m = importlib.import_module(sys.argv[1])
L = threading.Lock()
m.take()
ready = threading.Event()
def worker():
    with L:
        ready.set()
        m.take()
t = threading.Thread(target=worker)
t.start()
ready.wait()
with L:
    m.give()
)";

TEST(Cext, CThreadWaitAndPythonLockCycle) {
  TempDir tmp;
  const ToolResult r = BuildAndRun(tmp, Case{"mutex_helpers", kMutexAndLockDriver, "run"});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  const nlohmann::json report = ReadJson(tmp.File("report.json"));
  const FindingSet expected{{"deadlock", Canonical(tmp.File("driver.py")), 14}};
  EXPECT_EQ(FindingsOf(report), expected) << report.dump(2);
  ASSERT_EQ(report.at("findings").size(), 1u);
  const nlohmann::json& f = report.at("findings").at(0);
  // The worker's wait is the C line of its pthread_mutex_lock, under its Python caller.
  bool c_wait = false;
  for (const nlohmann::json& st : f.at("stacks")) {
    const nlohmann::json& top = st.at("frames").at(0);
    if (Canonical(top.at("file")) == Canonical(CextSource(Case{"mutex_helpers", "", "run"})) && top.at("line") == 13) {
      c_wait = true;
    }
  }
  EXPECT_TRUE(c_wait) << f.dump(2);
  // Both threads let the GIL go to wait: it is not among the locks they hold.
  for (const nlohmann::json& st : f.at("stacks")) {
    EXPECT_EQ(st.at("title").get<std::string>().find("Lock GIL held"), std::string::npos) << f.dump(2);
  }
}

INSTANTIATE_TEST_SUITE_P(Cext, CextRun,
                         testing::Values(Case{"decref_nogil_bug", kChecksumDriver},
                                         Case{"decref_nogil_ok", kChecksumDriver},
                                         Case{"gil_mutex_order_bug", kOrderDriver},
                                         Case{"gil_mutex_order_ok", kOrderDriver},
                                         Case{"gil_mutex_hang_bug", kHangDriver, "run"},
                                         Case{"slow_holder_ok", kSlowHolderDriver, "run"},
                                         Case{"gil_busy_ok", kGilBusyDriver, "run"},
                                         Case{"daemon_mutex_ok", kDaemonMutexDriver, "run"}),
                         CaseName);

}  // namespace
}  // namespace pyrace::e2e
