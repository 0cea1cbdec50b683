#include "tool/render/json.h"

namespace pyrace {
namespace {

nlohmann::ordered_json LocationToJson(const SourceLocation& loc) {
  nlohmann::ordered_json j = {{"file", loc.file}, {"line", loc.line}, {"function", loc.function}};
  if (loc.column != 0) j["column"] = loc.column;
  if (loc.end_line != 0) j["end_line"] = loc.end_line;
  if (loc.end_column != 0) j["end_column"] = loc.end_column;
  return j;
}

nlohmann::ordered_json SectionToJson(const Section& s) {
  nlohmann::ordered_json frames = nlohmann::ordered_json::array();
  for (const SourceLocation& fr : s.frames) frames.push_back(LocationToJson(fr));
  nlohmann::ordered_json j = {{"title", s.title}, {"frames", std::move(frames)}};
  if (!s.test.empty()) j["test"] = s.test;
  return j;
}

// Nodes are referred to by their id ("L24", "T1"), as the messages and stacks name them.
nlohmann::ordered_json GraphToJson(const FindingGraph& g) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const GraphNode& n : g.nodes) {
    nlohmann::ordered_json j = {{"id", n.id}, {"kind", n.kind == GraphNodeKind::kLock ? "lock" : "thread"},
                                {"name", n.name}};
    if (n.created.line != 0) j["created"] = LocationToJson(n.created);
    if (!n.note.empty()) j["note"] = n.note;
    nodes.push_back(std::move(j));
  }
  nlohmann::ordered_json edges = nlohmann::ordered_json::array();
  for (const GraphEdge& e : g.edges) {
    nlohmann::ordered_json j = {{"from", g.nodes[e.from].id}, {"to", g.nodes[e.to].id}};
    if (!e.thread.empty()) j["thread"] = e.thread;
    j["site"] = LocationToJson(e.site);
    if (e.held_site.line != 0) j["held_site"] = LocationToJson(e.held_site);
    j["label"] = e.label;
    j["on_cycle"] = e.on_cycle;
    if (e.section >= 0) j["stack"] = e.section;
    edges.push_back(std::move(j));
  }
  return {{"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
}

nlohmann::ordered_json HoldsToJson(const std::vector<LockHold>& holds) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const LockHold& h : holds) {
    out.push_back({{"thread_id", h.thread_id}, {"thread", h.thread}, {"lock_id", h.lock_id}, {"lock", h.lock},
                   {"begin_us", h.begin_us}, {"end_us", h.end_us}, {"begin_seq", h.begin_seq},
                   {"end_seq", h.end_seq}, {"open", h.open},
                   {"site", LocationToJson(h.site)}});
  }
  return out;
}

}  // namespace

nlohmann::ordered_json FindingToJson(const Finding& f, const FindingJsonFields& extra) {
  nlohmann::ordered_json j;
  j["kind"] = FindingKindId(f.kind);
  j["severity"] = SeverityId(f.severity);
  if (!f.rule.empty()) j["rule"] = f.rule;
  j["message"] = f.message;
  j["locations"] = nlohmann::ordered_json::array({LocationToJson(f.primary)});
  nlohmann::ordered_json stacks = nlohmann::ordered_json::array();
  for (const Section& s : f.sections) stacks.push_back(SectionToJson(s));
  j["stacks"] = std::move(stacks);
  j["notes"] = f.notes;
  j["count"] = f.count;
  j["fingerprint"] = f.fingerprint;
  if (!f.graph.nodes.empty()) j["graph"] = GraphToJson(f.graph);
  if (!f.holds.empty()) j["holds"] = HoldsToJson(f.holds);
  if (f.process.pid != 0) {
    j["process"] = {{"pid", f.process.pid}, {"ppid", f.process.ppid}, {"command", f.process.command}};
  }
  if (!f.pids.empty()) j["pids"] = f.pids;  // a finding across processes
  if (extra) extra(f, j);
  return j;
}

nlohmann::ordered_json ReportToJson(const std::vector<Finding>& findings, const ReportInfo& info) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const Finding& f : findings) list.push_back(FindingToJson(f));
  nlohmann::ordered_json j;
  j["version"] = PYRACE_VERSION;
  if (info.pid != 0) j["pid"] = info.pid;
  j["findings"] = std::move(list);
  j["suppressed"] = info.suppressed;
  j["unused_suppressions"] = info.unused_suppressions;
  return j;
}

void RenderJson(const std::vector<Finding>& findings, const ReportInfo& info, std::ostream& out) {
  out << ReportToJson(findings, info).dump(2) << '\n';
}

}  // namespace pyrace
