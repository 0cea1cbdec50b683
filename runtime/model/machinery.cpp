#include "runtime/model/machinery.h"

namespace pyrace {

bool IsStdlibFile(std::string_view file) {
  return file.find("/lib/python3") != std::string_view::npos || file.find("/Lib/") != std::string_view::npos;
}

bool IsSyncMachinery(std::string_view file) {
  static constexpr std::string_view kModules[] = {
      "/threading.py", "/queue.py", "/concurrent/futures/_base.py", "/concurrent/futures/thread.py",
      "/asyncio/locks.py", "/asyncio/queues.py", "/asyncio/tasks.py"};
  if (!IsStdlibFile(file)) return false;
  for (std::string_view m : kModules) {
    if (file.ends_with(m)) return true;
  }
  return false;
}

bool IsPyraceFrame(std::string_view file) {
  return file.find("/_pyrace_instrument/") != std::string_view::npos || file == "<frozen runpy>" ||
         file.ends_with("/runpy.py");
}

}  // namespace pyrace
