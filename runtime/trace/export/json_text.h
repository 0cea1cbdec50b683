// JSON string quoting for the exporters: escapes quotes, backslashes and control
// characters, and replaces bytes that are not valid UTF-8 (file names and thread
// names come from the program) with U+FFFD so the document always parses.
#pragma once

#include <string>
#include <string_view>

namespace pyrace::json_text {

std::string Quote(std::string_view s);

}  // namespace pyrace::json_text
