#include "tool/cli/trace_input.h"

#include <unistd.h>

#include <cstdio>

namespace pyrace {

ReadStatus ReadTrace(TraceReader& reader, const std::string& path, EventSink& sink) {
  return path == "-" ? reader.ReadFd(STDIN_FILENO, sink) : reader.ReadFile(path, sink);
}

std::string CannotRead(const std::string& verb, const std::string& path, const ReadStatus& status) {
  return "cannot " + verb + " '" + path + "': " + (status.message.empty() ? "no trace header" : status.message);
}

void NotePartialTrace(const ReadStatus& s, const std::string& name) {
  if (s.code == ReadStatus::kOk) return;
  const std::string where = name.empty() ? "" : name + ": ";
  const std::string analysed = "analysed " + std::to_string(s.events) + " events";
  if (s.code == ReadStatus::kTruncated) {
    std::fprintf(stderr, "pyrace: %strace truncated at byte %llu (crashed or killed run?); %s\n", where.c_str(),
                 static_cast<unsigned long long>(s.bytes), analysed.c_str());
  } else {
    std::fprintf(stderr, "pyrace: %s%s; %s\n", where.c_str(), s.message.c_str(), analysed.c_str());
  }
}

}  // namespace pyrace
