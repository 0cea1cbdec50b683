#include "tests/e2e/harness.h"

#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace pyrace::e2e {
namespace fs = std::filesystem;

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/pyrace-e2e-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

nlohmann::json ReadJson(const std::string& path) {
  const std::string text = ReadText(path);
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw std::runtime_error("not JSON: " + path + ":\n" + text);
  return j;
}

ToolResult RunPyrace(const std::vector<std::string>& args, const std::vector<std::string>& env,
                     const std::string& cwd, const std::string& stdin_file) {
  TempDir io;
  const std::string out_path = io.File("stdout"), err_path = io.File("stderr");
  std::vector<std::string> argv_s = {PYRACE_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) env_s.emplace_back(*e);
  env_s.insert(env_s.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (std::string& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  const pid_t pid = fork();
  if (pid == 0) {
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    const int in = open(stdin_file.c_str(), O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ToolResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadText(out_path);
  r.err = ReadText(err_path);
  return r;
}

int SignalPyraceWhenReady(const std::vector<std::string>& args, const std::string& line, int sig, int watch_fd,
                          std::string* output) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  std::vector<std::string> argv_s = {PYRACE_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    // Its own process group: the signal must come from pyrace, not from a shared group.
    setpgid(0, 0);
    dup2(fds[1], watch_fd);
    close(fds[0]);
    close(fds[1]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while (out.find(line) == std::string::npos && (n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, n);
  kill(pid, sig);
  if (output != nullptr) {
    while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, n);
    *output = out;
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

std::string Testdata(const std::string& name) { return Canonical(std::string(PYRACE_TESTDATA) + "/" + name); }

FindingSet Annotations(const std::string& program, const std::string& marker) {
  FindingSet out;
  std::ifstream in(program);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    size_t at = line.find(marker);
    if (at == std::string::npos) continue;
    std::stringstream kinds(line.substr(at + marker.size()));
    std::string kind;
    while (std::getline(kinds, kind, ',')) {
      kind.erase(0, kind.find_first_not_of(" \t"));
      kind.erase(kind.find_last_not_of(" \t") + 1);
      if (!kind.empty()) out.emplace(kind, Canonical(program), lineno);
    }
  }
  return out;
}

std::vector<Fixture> FixtureRuns(const std::string& dir, const std::string& name) {
  const std::string marker = "# fixture:";
  std::ifstream in(dir + "/" + name);
  if (!in) throw std::runtime_error(dir + "/" + name + ": cannot read");
  std::vector<std::vector<std::string>> runs;
  Fixture common{name, {}, {}, 0};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(marker, 0) != 0) continue;
    std::stringstream words(line.substr(marker.size()));
    std::string verb, word;
    words >> verb;
    std::vector<std::string> rest;
    while (words >> word) rest.push_back(word);
    if (verb == "helper") return {};
    if (verb == "args") {
      runs.push_back(rest);
    } else if (verb == "options") {
      common.options.insert(common.options.end(), rest.begin(), rest.end());
    } else if (verb == "exit" && rest.size() == 1 && !rest[0].empty() &&
               rest[0].find_first_not_of("0123456789") == std::string::npos) {
      common.clean_exit = std::stoi(rest[0]);
    } else {
      throw std::runtime_error(dir + "/" + name + ": unknown fixture directive: " + line);
    }
  }
  if (runs.empty()) runs.emplace_back();
  std::vector<Fixture> out;
  for (auto& args : runs) {
    out.push_back(common);
    out.back().args = std::move(args);
  }
  return out;
}

std::vector<Fixture> Fixtures(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".py") names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  std::vector<Fixture> out;
  for (const std::string& name : names) {
    for (Fixture& f : FixtureRuns(dir, name)) out.push_back(std::move(f));
  }
  return out;
}

FixtureResult RunFixture(const std::string& dir, const Fixture& f, const std::vector<std::string>& extra) {
  TempDir tmp;
  const std::string report = tmp.File("report.json");
  std::vector<std::string> args = {"run", "--format", "json", "--output", report};
  args.insert(args.end(), f.options.begin(), f.options.end());
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(dir + "/" + f.file);
  args.insert(args.end(), f.args.begin(), f.args.end());
  FixtureResult r;
  r.tool = RunPyrace(args);
  r.expected = Annotations(dir + "/" + f.file);
  r.actual = FindingsOf(ReadJson(report));
  return r;
}

std::string FixtureName(const Fixture& f) {
  std::string name = f.file.substr(0, f.file.size() - 3);
  for (const std::string& a : f.args) name += "_" + a;
  return name;
}

void PrintTo(const Fixture& f, std::ostream* os) {
  *os << f.file;
  for (const std::string& a : f.args) *os << ' ' << a;
}

FindingSet FindingsOf(const nlohmann::json& report) {
  FindingSet out;
  for (const auto& f : report.at("findings")) {
    const auto& loc = f.at("locations").at(0);
    out.emplace(f.at("kind").get<std::string>(), Canonical(loc.at("file").get<std::string>()),
                loc.at("line").get<int>());
  }
  return out;
}

std::string Describe(const FindingSet& s) {
  std::string out;
  for (const auto& [kind, file, line] : s) out += "  " + kind + " " + file + ":" + std::to_string(line) + "\n";
  return out.empty() ? "  (none)\n" : out;
}

std::string FindPython(int minor) {
  const std::string name = "python3." + std::to_string(minor);
  std::vector<std::string> candidates = {"/usr/bin/" + name, "/usr/local/bin/" + name,
                                         std::string(PYRACE_E2E_TESTING_ROOT) + "/usr/bin/pyrace-host-" + name};
  const char* pyenv = std::getenv("PYENV_ROOT");
  const char* home = std::getenv("HOME");
  std::vector<std::string> roots;
  if (pyenv != nullptr) roots.push_back(pyenv);
  if (home != nullptr) roots.push_back(std::string(home) + "/.pyenv");
  for (const std::string& root : roots) {
    glob_t g{};
    const std::string pattern = root + "/versions/3." + std::to_string(minor) + ".*/bin/" + name;
    if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) candidates.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  for (const std::string& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return c;
  }
  return "";
}

}  // namespace pyrace::e2e
