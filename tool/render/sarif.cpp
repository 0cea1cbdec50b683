#include "tool/render/sarif.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "runtime/model/machinery.h"

namespace pyrace {
namespace {

using nlohmann::ordered_json;

std::string PercentEncode(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Cwd() {
  char buf[4096];
  if (getcwd(buf, sizeof buf)) return buf;
  return "/";
}

const char* Level(Severity s) {
  switch (s) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kNote: return "note";
  }
  return "error";
}

std::string Sentence(std::string s) {
  if (!s.empty() && s.back() != '.' && s.back() != '!' && s.back() != '?') s += '.';
  return s;
}

ordered_json ArtifactLocation(const std::string& file) {
  ordered_json a;
  if (!file.empty() && file[0] == '/') {
    a["uri"] = "file://" + PercentEncode(file);
  } else {
    std::string f = file;
    while (f.rfind("./", 0) == 0) f = f.substr(2);
    a["uri"] = PercentEncode(f);
    a["uriBaseId"] = "%SRCROOT%";
  }
  return a;
}

ordered_json PhysicalLocation(const SourceLocation& l) {
  ordered_json p;
  p["artifactLocation"] = ArtifactLocation(l.file);
  if (l.line > 0) {
    ordered_json r;
    r["startLine"] = l.line;
    if (l.column > 0) r["startColumn"] = l.column;
    if (l.end_line >= l.line && l.end_line > 0) {
      r["endLine"] = l.end_line;
      if (l.end_column > 0 && (l.end_line > l.line || l.end_column > l.column)) r["endColumn"] = l.end_column;
    }
    p["region"] = r;
  }
  return p;
}

ordered_json Location(const SourceLocation& l) {
  ordered_json loc;
  loc["physicalLocation"] = PhysicalLocation(l);
  if (!l.function.empty()) {
    loc["logicalLocations"] = ordered_json::array({{{"fullyQualifiedName", l.function}, {"kind", "function"}}});
  }
  return loc;
}

// The frame of a run-time section the program's own code is at: its innermost frame
// outside the standard library's lock machinery (machinery.h).
const SourceLocation* SectionSite(const Section& s) {
  for (const SourceLocation& fr : s.frames) {
    if (!IsSyncMachinery(fr.file) && !IsPyraceFrame(fr.file)) return fr.file.empty() ? nullptr : &fr;
  }
  return nullptr;
}

// "Lock L1 created at:" as a sentence: "Lock L1 created at."
std::string Title(std::string s) {
  while (!s.empty() && (s.back() == ':' || s.back() == ' ')) s.pop_back();
  return Sentence(s);
}

bool SameLine(const SourceLocation& a, const SourceLocation& b) { return a.file == b.file && a.line == b.line; }

SarifRule RuleForKind(FindingKind k) {
  SarifRule r;
  r.id = FindingKindId(k);
  r.name = r.id;
  r.kind = r.id;
  r.short_description = "pyrace run-time finding: " + r.id;
  r.full_description = "A " + r.id + " observed (or predicted from the observed events) while running the program under pyrace.";
  return r;
}

ordered_json RuleJson(const SarifRule& r) {
  ordered_json j;
  j["id"] = r.id;
  // SARIF wants rule names in PascalCase-free "friendly" form; the kebab id is kept as is.
  j["name"] = r.name;
  j["shortDescription"] = {{"text", Sentence(r.short_description)}};
  j["fullDescription"] = {{"text", Sentence(r.full_description)}};
  j["help"] = {{"text", Sentence(r.full_description)}};
  if (!r.help_uri.empty()) j["helpUri"] = r.help_uri;
  j["defaultConfiguration"] = {{"level", Level(r.default_level)}};
  ordered_json props;
  props["tags"] = ordered_json::array({"concurrency"});
  if (!r.kind.empty()) props["kind"] = r.kind;
  props["precision"] = "high";
  j["properties"] = props;
  return j;
}

}  // namespace

void RenderSarif(const std::vector<Finding>& findings, const SarifOptions& options, std::ostream& out) {
  std::vector<SarifRule> rules = options.rules;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < rules.size(); ++i) index[rules[i].id] = i;
  auto rule_id = [](const Finding& f) { return f.rule.empty() ? std::string(FindingKindId(f.kind)) : f.rule; };
  for (const auto& f : findings) {
    std::string id = rule_id(f);
    if (!index.count(id)) {
      SarifRule r = RuleForKind(f.kind);
      r.id = id;
      index[id] = rules.size();
      rules.push_back(r);
    }
  }

  ordered_json driver;
  driver["name"] = options.tool_name;
  driver["version"] = options.version.empty() ? std::string(PYRACE_VERSION) : options.version;
  driver["semanticVersion"] = options.version.empty() ? std::string(PYRACE_VERSION) : options.version;
  if (!options.information_uri.empty()) driver["informationUri"] = options.information_uri;
  ordered_json jrules = ordered_json::array();
  for (const auto& r : rules) jrules.push_back(RuleJson(r));
  driver["rules"] = jrules;

  ordered_json results = ordered_json::array();
  for (const auto& f : findings) {
    std::string id = rule_id(f);
    ordered_json r;
    r["ruleId"] = id;
    r["ruleIndex"] = index[id];
    r["level"] = Level(f.severity);
    std::string text = Sentence(f.message);
    for (const auto& n : f.notes) text += " " + Sentence("Fix: " + n);
    r["message"] = {{"text", text}};
    r["locations"] = ordered_json::array({Location(f.primary)});
    ordered_json related = ordered_json::array();
    ordered_json stacks = ordered_json::array();
    int next_id = 1;
    bool primary_seen = false;
    for (const auto& s : f.sections) {
      if (f.rule.empty()) {
        ordered_json frames = ordered_json::array();
        for (const auto& fr : s.frames) frames.push_back({{"location", Location(fr)}});
        if (!frames.empty()) {
          ordered_json stack = {{"message", {{"text", Title(s.title)}}}, {"frames", frames}};
          if (!s.test.empty()) stack["properties"] = {{"test", s.test}};
          stacks.push_back(std::move(stack));
        }
        // Code scanning shows relatedLocations, not stacks: each section's own line
        // (the other access, the other acquisition, the creation, the start) is one,
        // but for the section the result's location already is.
        const SourceLocation* at = SectionSite(s);
        if (at != nullptr && !primary_seen && SameLine(*at, f.primary)) {
          primary_seen = true;
        } else if (at != nullptr) {
          ordered_json rl = Location(*at);
          rl["id"] = next_id++;
          rl["message"] = {{"text", Title(s.title)}};
          related.push_back(rl);
        }
      } else {
        for (const auto& fr : s.frames) {
          ordered_json rl = Location(fr);
          rl["id"] = next_id++;
          rl["message"] = {{"text", Sentence(s.title)}};
          related.push_back(rl);
        }
      }
    }
    if (!related.empty()) r["relatedLocations"] = related;
    if (!stacks.empty()) r["stacks"] = stacks;
    // The producer's fingerprint (FindingSink, lint baselines): SARIF only carries it.
    if (!f.fingerprint.empty()) r["partialFingerprints"] = {{"primaryLocationLineHash", f.fingerprint}};
    if (f.count > 1) r["occurrenceCount"] = f.count;
    // SARIF has no notion of the test or the process a result was found in: the property
    // bag carries them (the pytest node id: the finding's, and each stack's own in its
    // stack's bag).
    if (const std::string& test = FindingTest(f); !test.empty()) r["properties"]["test"] = test;
    if (f.process.pid != 0) {
      r["properties"]["process"] = {{"pid", f.process.pid}, {"ppid", f.process.ppid}, {"command", f.process.command}};
    }
    if (!f.pids.empty()) r["properties"]["pids"] = f.pids;  // a finding across processes
    results.push_back(r);
  }

  ordered_json run;
  run["tool"] = {{"driver", driver}};
  std::string root = options.source_root.empty() ? Cwd() : options.source_root;
  if (root.empty() || root.back() != '/') root += '/';
  run["originalUriBaseIds"] = {{"%SRCROOT%", {{"uri", "file://" + PercentEncode(root)}}}};
  run["results"] = results;
  run["columnKind"] = "unicodeCodePoints";

  ordered_json log;
  log["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  log["version"] = "2.1.0";
  log["runs"] = ordered_json::array({run});
  out << log.dump(2) << "\n";
}

void RenderSarif(const std::vector<Finding>& findings, std::ostream& out) {
  RenderSarif(findings, SarifOptions{}, out);
}

}  // namespace pyrace
