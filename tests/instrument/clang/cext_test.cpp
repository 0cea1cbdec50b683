// Runs LintCFiles on every testdata/cext/*.c and compares the exact set of
// (kind, file, line) with the file's `// expect: <kind>[, <kind>]` annotations.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "instrument/clang/c_lint.h"

namespace {

namespace fs = std::filesystem;
using Key = std::tuple<std::string, std::string, unsigned>;  // kind, file, line

std::string Canonical(const std::string& p) { return fs::weakly_canonical(p).string(); }

std::set<Key> Expected(const std::string& file) {
  std::set<Key> out;
  std::ifstream in(file);
  std::string line;
  for (unsigned n = 1; std::getline(in, line); ++n) {
    size_t pos = line.find("// expect:");
    if (pos == std::string::npos) continue;
    std::stringstream kinds(line.substr(pos + 10));
    std::string kind;
    while (std::getline(kinds, kind, ',')) {
      kind.erase(std::remove(kind.begin(), kind.end(), ' '), kind.end());
      if (!kind.empty()) out.insert({kind, Canonical(file), n});
    }
  }
  return out;
}

std::set<Key> Actual(const std::vector<pyrace::Finding>& fs) {
  std::set<Key> out;
  for (const pyrace::Finding& f : fs) {
    out.insert({pyrace::FindingKindId(f.kind), Canonical(f.primary.file), f.primary.line});
  }
  return out;
}

std::string Show(const std::set<Key>& s) {
  std::string out;
  for (const auto& [k, f, l] : s) out += "  " + k + " " + f + ":" + std::to_string(l) + "\n";
  return out;
}

std::vector<std::string> CextFiles() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(PYRACE_TESTDATA_DIR "/cext")) {
    if (e.path().extension() == ".c" || e.path().extension() == ".cpp") {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class CextTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CextTest, FindingsMatchAnnotations) {
  std::vector<std::string> errors;
  std::vector<pyrace::Finding> fs = pyrace::LintCFiles({GetParam()}, {}, &errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  std::set<Key> want = Expected(GetParam());
  std::set<Key> got = Actual(fs);
  EXPECT_EQ(got, want) << "expected:\n" << Show(want) << "got:\n" << Show(got);
  if (GetParam().find("_ok.") != std::string::npos) {
    EXPECT_TRUE(got.empty());
  }
  if (GetParam().find("_bug.") != std::string::npos) {
    EXPECT_FALSE(want.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Testdata, CextTest, ::testing::ValuesIn(CextFiles()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return fs::path(i.param).stem().string();
                         });

TEST(CextFindings, CarryRuleLocationSectionsAndFix) {
  std::vector<std::string> errors;
  auto fs = pyrace::LintCFiles({PYRACE_TESTDATA_DIR "/cext/return_in_region_bug.c"}, {}, &errors);
  ASSERT_EQ(fs.size(), 2u);
  const pyrace::Finding& f = fs[0];
  EXPECT_EQ(f.rule, "PYC010");
  EXPECT_EQ(f.primary.line, 13u);
  EXPECT_EQ(f.primary.column, 15u);
  EXPECT_EQ(f.primary.function, "wait_fd");
  ASSERT_EQ(f.sections.size(), 2u);
  EXPECT_EQ(f.sections[0].title, "GIL released here (Py_BEGIN_ALLOW_THREADS)");
  EXPECT_EQ(f.sections[0].frames.at(0).line, 11u);
  EXPECT_EQ(f.sections[1].title, "returned here");
  EXPECT_FALSE(f.notes.empty());
}

TEST(CextDriver, UnparsableFileIsReportedAndOthersLinted) {
  fs::path bad = fs::temp_directory_path() / "pyrace_clang_bad.c";
  std::ofstream(bad) << "#include <Python.h>\nint f(void) { return undeclared_thing; }\n";
  std::vector<std::string> errors;
  auto fs = pyrace::LintCFiles(
      {bad.string(), "/nonexistent/x.c", PYRACE_TESTDATA_DIR "/cext/decref_nogil_bug.c"}, {},
      &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("/nonexistent/x.c"), std::string::npos);
  ASSERT_EQ(fs.size(), 2u);
  const pyrace::Finding& broken = fs[0].primary.file == bad.string() ? fs[0] : fs[1];
  const pyrace::Finding& found = fs[0].primary.file == bad.string() ? fs[1] : fs[0];
  EXPECT_EQ(broken.rule, "PYC000");
  EXPECT_EQ(broken.kind, pyrace::FindingKind::kSyntaxError);
  EXPECT_EQ(broken.primary.line, 2u);
  EXPECT_EQ(broken.primary.column, 22u);
  EXPECT_NE(broken.message.find("undeclared_thing"), std::string::npos) << broken.message;
  EXPECT_EQ(found.primary.line, 15u);
  fs::remove(bad);
}

TEST(CextDriver, ExtraArgsAndCompileCommandsAreUsed) {
  fs::path dir = fs::temp_directory_path() / "pyrace_clang_ccdb";
  fs::create_directories(dir);
  fs::path src = dir / "macro.c";
  std::ofstream(src) << "#include <Python.h>\n"
                        "static PyObject* f(PyObject* o) {\n"
                        "  Py_BEGIN_ALLOW_THREADS\n"
                        "#ifdef BUGGY\n"
                        "  Py_DECREF(o);\n"
                        "#endif\n"
                        "  Py_END_ALLOW_THREADS\n"
                        "  return o;\n"
                        "}\n";
  std::vector<std::string> errors;
  pyrace::CLintOptions opts;
  EXPECT_TRUE(pyrace::LintCFiles({src.string()}, opts, &errors).empty());
  opts.extra_args = {"-DBUGGY"};
  auto fs = pyrace::LintCFiles({src.string()}, opts, &errors);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].primary.line, 5u);

  // Flags from compile_commands.json (the include path comes from the database here).
  std::ofstream(dir / "compile_commands.json")
      << "[{\"directory\": \"" << dir.string() << "\", \"file\": \"" << src.string()
      << "\", \"arguments\": [\"cc\", \"-DBUGGY\", \"-I" << PYRACE_PYTHON_INCLUDE << "\", \"-c\", \""
      << src.string() << "\"]}]";
  pyrace::CLintOptions db_opts;
  db_opts.compile_commands_dir = dir.string();
  fs = pyrace::LintCFiles({src.string()}, db_opts, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].primary.line, 5u);
  fs::remove_all(dir);
}

TEST(CextSuppress, NolintWithKindOrBareSilencesOnlyThatLine) {
  fs::path dir = fs::temp_directory_path() / "pyrace_clang_nolint";
  fs::create_directories(dir);
  fs::path src = dir / "n.c";
  std::ofstream(src) << "#include <Python.h>\n"
                        "static void f(PyObject* a, PyObject* b, PyObject* c, PyObject* d) {\n"
                        "  Py_BEGIN_ALLOW_THREADS\n"
                        "  Py_DECREF(a);  // NOLINT(pyrace-gil-not-held)\n"
                        "  Py_DECREF(b);  // NOLINT(pyrace-missed-release)\n"
                        "  // NOLINTNEXTLINE(pyrace-gil-not-held)\n"
                        "  Py_DECREF(c);\n"
                        "  Py_DECREF(d);  // NOLINT\n"
                        "  Py_END_ALLOW_THREADS\n"
                        "}\n";
  std::vector<std::string> errors;
  auto fs = pyrace::LintCFiles({src.string()}, {}, &errors);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].primary.line, 5u);
  fs::remove_all(dir);
}

}  // namespace
