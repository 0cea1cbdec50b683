#include "tool/lint/baseline.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "runtime/model/fingerprint.h"

namespace pyrace::lint {
namespace {

// Baselines (version 1) were written with FNV-1a started from this value, the offset basis
// with its last digit lost (14695981039346656037 is the real one). Every stored baseline
// depends on it, so lint fingerprints keep it, under a name that says what it is.
constexpr uint64_t kBaselineV1Basis = 1469598103934665603ull;

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

void AssignFingerprints(std::vector<Finding>& findings, const std::vector<std::string>& line_texts) {
  std::map<std::string, int> seen;
  for (size_t i = 0; i < findings.size(); ++i) {
    Finding& f = findings[i];
    std::string key = f.rule + "|" + f.primary.file + "|" + f.primary.function + "|" +
                      Trim(i < line_texts.size() ? line_texts[i] : "");
    f.fingerprint = Hex16(Fnv1a64(key, kBaselineV1Basis)) + ":" + std::to_string(++seen[key]);
  }
}

bool WriteBaseline(const std::string& path, const std::vector<Finding>& findings, std::string* error) {
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["tool"] = "pyrace lint";
  auto arr = nlohmann::ordered_json::array();
  for (const auto& f : findings) {
    arr.push_back({{"rule", f.rule}, {"file", f.primary.file}, {"fingerprint", f.fingerprint}, {"message", f.message}});
  }
  j["findings"] = arr;
  std::ofstream out(path);
  if (!out) {
    *error = path + ": cannot write baseline";
    return false;
  }
  out << j.dump(2) << "\n";
  return static_cast<bool>(out);
}

int ApplyBaseline(const std::string& path, std::vector<Finding>& findings, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = path + ": cannot read baseline";
    return -1;
  }
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    *error = path + ": malformed baseline: " + e.what();
    return -1;
  }
  std::map<std::string, int> known;
  if (j.contains("findings") && j["findings"].is_array()) {
    for (const auto& e : j["findings"]) {
      if (!e.is_object()) continue;
      std::string key = e.value("rule", "") + "|" + e.value("file", "") + "|" + e.value("fingerprint", "");
      ++known[key];
    }
  }
  int hidden = 0;
  std::vector<Finding> kept;
  for (auto& f : findings) {
    std::string key = f.rule + "|" + f.primary.file + "|" + f.fingerprint;
    auto it = known.find(key);
    if (it != known.end() && it->second > 0) {
      --it->second;
      ++hidden;
      continue;
    }
    kept.push_back(std::move(f));
  }
  findings = std::move(kept);
  return hidden;
}

}  // namespace pyrace::lint
