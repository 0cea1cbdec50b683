#include "tool/cli/process_streams.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "runtime/analysis/lock_class/merge.h"

namespace pyrace {
namespace fs = std::filesystem;

namespace {

constexpr char kSpawnMagic[] = "PYRACESP";
// A fork note: a process forked outside Python's fork hooks (fork() from C) says so
// from the runtime's pthread_atfork handler; the same fields as a spawn note.
constexpr char kForkMagic[] = "PYRACEFK";
constexpr size_t kMagicLen = sizeof kSpawnMagic - 1;
static_assert(sizeof kForkMagic == sizeof kSpawnMagic);

bool IsNoteMagic(const char* bytes) {
  return std::memcmp(bytes, kSpawnMagic, kMagicLen) == 0 || std::memcmp(bytes, kForkMagic, kMagicLen) == 0;
}
constexpr size_t kMaxNoteBytes = 1 << 20;

std::string Join(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

bool ParseNote(const std::string& bytes, SpawnNote* note) {
  if (bytes.size() < kMagicLen || !IsNoteMagic(bytes.data())) return false;
  note->forked = bytes.compare(0, kMagicLen, kForkMagic) == 0;
  std::vector<std::string> fields;
  size_t i = kMagicLen;
  while (i < bytes.size()) {
    const size_t nul = bytes.find('\0', i);
    if (nul == std::string::npos) break;
    fields.push_back(bytes.substr(i, nul - i));
    i = nul + 1;
  }
  if (fields.size() < 2) return false;
  char* end = nullptr;
  const unsigned long pid = std::strtoul(fields[0].c_str(), &end, 10);
  const unsigned long ppid = std::strtoul(fields[1].c_str(), &end, 10);
  if (pid == 0 || pid > UINT32_MAX || ppid > UINT32_MAX) return false;
  note->pid = static_cast<uint32_t>(pid);
  note->ppid = static_cast<uint32_t>(ppid);
  note->argv.assign(fields.begin() + 2, fields.end());
  return true;
}

bool WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// The temporary directory for the socket: $TMPDIR unless its path could not travel in
// the runtime's options (a space or a colon) or would not fit a socket address.
std::string SocketParent() {
  const char* t = std::getenv("TMPDIR");
  std::string d = t != nullptr && *t != '\0' ? t : "/tmp";
  if (d.find_first_of(" :") != std::string::npos || d.size() > 60) d = "/tmp";
  return d;
}

}  // namespace

std::string ChildrenDir(const std::string& trace_file) { return trace_file + ".children"; }

ChildStreams::ChildStreams(const AnalysisOptions& opts, std::string record_dir)
    : opts_(opts), record_dir_(std::move(record_dir)) {
  if (!record_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(record_dir_, ec);  // a stale directory would mix two runs at replay
  }
}

ChildStreams::~ChildStreams() {
  if (acceptor_.joinable()) Finish(std::chrono::milliseconds(0));
  if (listen_fd_ >= 0) close(listen_fd_);
  if (!path_.empty()) unlink(path_.c_str());
  if (!dir_.empty()) rmdir(dir_.c_str());
}

bool ChildStreams::Listen(std::string* error) {
  std::string templ = SocketParent() + "/pyrace-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    *error = "cannot create a directory for the children's trace socket in " + SocketParent() + ": " +
             std::strerror(errno);
    return false;
  }
  dir_ = templ;
  path_ = dir_ + "/traces";
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.data(), std::min(path_.size(), sizeof addr.sun_path - 1));
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, SOMAXCONN) != 0 || pipe2(wake_, O_CLOEXEC) != 0) {
    *error = "cannot listen for the children's traces on " + path_ + ": " + std::strerror(errno);
    return false;
  }
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return true;
}

void ChildStreams::AcceptLoop() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if ((p[0].revents & POLLIN) != 0) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) Serve(fd);
      continue;  // take every pending connection before looking at the wake-up
    }
    if (p[1].revents != 0) return;
  }
}

void ChildStreams::Serve(int fd) {
  auto s = std::make_unique<ProcessStream>();
  s->fd = fd;
  std::lock_guard<std::mutex> lock(mu_);
  const int seq = ++record_seq_;
  ProcessStream* raw = s.get();
  // The first bytes say what the connection is; they are read on the connection's own
  // thread, so a process that connects and stalls holds up nobody else.
  raw->thread = std::thread([this, raw, seq] {
    char magic[kMagicLen];
    ssize_t n;
    do {
      n = recv(raw->fd, magic, kMagicLen, MSG_PEEK | MSG_WAITALL);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(kMagicLen) && IsNoteMagic(magic)) {
      std::string bytes;
      char buf[4096];
      while (bytes.size() < kMaxNoteBytes) {
        const ssize_t r = read(raw->fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        bytes.append(buf, static_cast<size_t>(r));
      }
      raw->is_note = ParseNote(bytes, &raw->note);
      if (raw->is_note) KeepFile("spawn-" + std::to_string(seq), bytes);
    } else {
      raw->analyzer = std::make_unique<Analyzer>(opts_);
      const int tee = OpenRecordFile("child-" + std::to_string(seq) + ".pyrt");
      raw->status = raw->reader.ReadFd(raw->fd, *raw->analyzer, tee);
      if (tee >= 0) close(tee);
    }
    raw->done.store(true);
  });
  result_.streams.push_back(std::move(s));
}

int ChildStreams::OpenRecordFile(const std::string& name) {
  if (record_dir_.empty()) return -1;
  std::error_code ec;
  fs::create_directories(record_dir_, ec);
  const std::string file = record_dir_ + "/" + name;
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) std::fprintf(stderr, "pyrace: cannot keep a child's trace in '%s': %s\n", file.c_str(), std::strerror(errno));
  return fd;
}

void ChildStreams::KeepFile(const std::string& name, const std::string& bytes) {
  const int fd = OpenRecordFile(name);
  if (fd < 0) return;
  WriteAll(fd, bytes);
  close(fd);
}

ChildrenResult ChildStreams::Finish(std::chrono::milliseconds grace) {
  if (acceptor_.joinable()) {
    const char b = 1;
    (void)!write(wake_[1], &b, 1);
    acceptor_.join();
  }
  // Streams still open after the grace period belong to processes the program left
  // running: cut them (the reader sees the end; what arrived is analysed).
  const auto deadline = std::chrono::steady_clock::now() + grace;
  std::vector<std::unique_ptr<ProcessStream>>& streams = result_.streams;
  for (auto& s : streams) {
    while (!s->done.load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  ChildrenResult out;
  for (auto& s : streams) {
    shutdown(s->fd, SHUT_RD);
    if (s->thread.joinable()) s->thread.join();
    close(s->fd);
    s->fd = -1;
    if (s->is_note) {
      out.spawned.push_back(s->note);
    } else if (s->analyzer != nullptr) {
      out.streams.push_back(std::move(s));
    }
  }
  result_ = ChildrenResult();
  return out;
}

ChildrenResult ReadChildrenDir(const std::string& dir, const AnalysisOptions& opts) {
  ChildrenResult out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  std::vector<std::pair<long, fs::path>> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const size_t dash = name.find('-');
    if (dash == std::string::npos) continue;
    entries.emplace_back(std::strtol(name.c_str() + dash + 1, nullptr, 10), e.path());
  }
  std::sort(entries.begin(), entries.end());
  for (const auto& [seq, path] : entries) {
    const std::string name = path.filename().string();
    if (name.rfind("spawn-", 0) == 0) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      SpawnNote note;
      if (ParseNote(ss.str(), &note)) out.spawned.push_back(note);
    } else if (name.rfind("child-", 0) == 0) {
      auto s = std::make_unique<ProcessStream>();
      s->analyzer = std::make_unique<Analyzer>(opts);
      s->status = s->reader.ReadFile(path.string(), *s->analyzer);
      if (s->status.code != ReadStatus::kOk && s->status.code != ReadStatus::kTruncated) {
        std::fprintf(stderr, "pyrace: %s: %s\n", path.string().c_str(), s->status.message.c_str());
      }
      out.streams.push_back(std::move(s));
    }
  }
  return out;
}

void NameProcess(std::vector<Finding>& findings, const TraceHeader& h) {
  for (Finding& f : findings) {
    f.process.pid = h.pid;
    f.process.ppid = h.ppid;
    f.process.command = Join(h.argv);
  }
}

std::vector<Finding> CollectProcessFindings(std::vector<Finding> top, const Analyzer& top_analyzer,
                                            const TraceReader& top_reader, ChildrenResult& children,
                                            int max_findings) {
  if (children.streams.empty() && children.spawned.empty()) return top;
  const TraceHeader& top_header = top_reader.header();
  NameProcess(top, top_header);
  std::set<uint32_t> traced{top_header.pid};
  std::vector<ProcessAnalysis> analysed{
      {&top_analyzer, &top_reader.symbols(), ProcessIdentity{top_header.pid, top_header.argv, "", top_header.start_unix_us}}};
  for (auto& s : children.streams) {
    const TraceHeader& h = s->reader.header();
    if (s->status.bytes == 0) continue;  // connected, then ended before its header
    traced.insert(h.pid);
    analysed.push_back({s->analyzer.get(), &s->reader.symbols(), ProcessIdentity{h.pid, h.argv, "", h.start_unix_us}});
    std::vector<Finding> fs = s->analyzer->Finish(s->reader.symbols());
    NameProcess(fs, h);
    if (s->status.code == ReadStatus::kTruncated) {
      std::fprintf(stderr, "pyrace: the trace of process %u (%s) ends inside a chunk (killed?); analysed %llu events\n",
                   h.pid, Join(h.argv).c_str(), static_cast<unsigned long long>(s->status.events));
    }
    for (Finding& f : fs) top.push_back(std::move(f));
  }
  // A cycle one process closes alone was reported by that process; the merge leaves
  // it out, and a fingerprint seen already only counts.
  std::set<std::string> seen;
  for (const Finding& f : top) seen.insert(f.fingerprint);
  for (Finding& f : CrossProcessFindings(analysed, max_findings)) {
    if (!f.fingerprint.empty() && !seen.insert(f.fingerprint).second) continue;
    top.push_back(std::move(f));
  }
  // A process forked from C that then ran another program has a spawn note too: that
  // one says what ran.
  std::set<uint32_t> started;
  for (const SpawnNote& n : children.spawned) {
    if (!n.forked) started.insert(n.pid);
  }
  std::set<uint32_t> named;
  for (const SpawnNote& n : children.spawned) {
    if (traced.count(n.pid) != 0 || (n.forked && started.count(n.pid) != 0) || !named.insert(n.pid).second) continue;
    if (n.forked) {
      std::fprintf(stderr,
                   "pyrace: process %u (%s), forked by process %u outside Python's fork hooks (fork() from C), "
                   "was not analysed\n",
                   n.pid, Join(n.argv).c_str(), n.ppid);
      continue;
    }
    std::fprintf(stderr,
                 "pyrace: process %u (%s), started by process %u, was not analysed: no pyrace runtime started in it "
                 "(not a Python with a pyrace runtime, or run with -I/-S/-E)\n",
                 n.pid, Join(n.argv).c_str(), n.ppid);
  }
  return top;
}

}  // namespace pyrace
