// Replays every file of the fuzz corpus through the reader with the normal build
// (checksums verified), so the corpus keeps being checked in CI without libFuzzer.
// Each file must satisfy the reader's contract (check_sink.h); reading it from memory
// and from a file descriptor must agree; and a file whose name starts with a status
// (ok-, truncated-, corrupt-, badheader-, toonew-) must get exactly that status.
//
//   trace_corpus_replay DIR
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "tests/fuzz/check_sink.h"

namespace {

using pyrace::ReadStatus;

const std::map<std::string, ReadStatus::Code> kExpected = {
    {"ok-", ReadStatus::kOk},
    {"truncated-", ReadStatus::kTruncated},
    {"corrupt-", ReadStatus::kCorrupt},
    {"badheader-", ReadStatus::kBadHeader},
    {"toonew-", ReadStatus::kTooNew},
};

ReadStatus ReadViaFd(const std::vector<uint8_t>& bytes, uint64_t* events) {
  int fd = memfd_create("replay", 0);
  if (!bytes.empty() && write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    std::fprintf(stderr, "memfd write failed\n");
    std::exit(2);
  }
  lseek(fd, 0, SEEK_SET);
  pyrace::TraceReader r;
  pyrace::fuzz::CheckingSink sink;
  ReadStatus st = r.ReadFd(fd, sink);
  close(fd);
  *events = sink.events;
  return st;
}

// Returns false (and says why) when the file breaks an expectation.
bool Replay(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  pyrace::TraceReader r;
  pyrace::fuzz::CheckingSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  pyrace::fuzz::CheckStatus(st, sink, bytes.size());
  std::string name = path.filename().string();
  std::printf("%-40s status=%d events=%llu %s\n", name.c_str(), st.code,
              static_cast<unsigned long long>(st.events), st.message.c_str());
  uint64_t fd_events = 0;
  ReadStatus fd_st = ReadViaFd(bytes, &fd_events);
  if (fd_st.code != st.code || fd_st.events != st.events || fd_st.bytes != st.bytes ||
      fd_events != sink.events || fd_st.message != st.message) {
    std::printf("  FAIL: ReadFd gave status=%d events=%llu: %s\n", fd_st.code,
                static_cast<unsigned long long>(fd_st.events), fd_st.message.c_str());
    return false;
  }
  for (const auto& [prefix, code] : kExpected) {
    if (name.rfind(prefix, 0) == 0 && st.code != code) {
      std::printf("  FAIL: expected status %d\n", code);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  // The seeds alone are more than this; an empty or missing corpus must fail.
  if (files.size() < 20) {
    std::fprintf(stderr, "corpus %s has only %zu files\n", argv[1], files.size());
    return 1;
  }
  int failures = 0;
  for (const auto& f : files) failures += Replay(f) ? 0 : 1;
  std::printf("%zu files, %d failures\n", files.size(), failures);
  return failures == 0 ? 0 : 1;
}
