#include "tool/render/html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>

#include "tool/render/fold.h"
#include "tool/render/graph_layout.h"

namespace pyrace {

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters are not allowed in HTML text; a program's string may hold any.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += "&#xFFFD;";
        } else {
          out += c;
        }
    }
  }
  return out;
}

namespace {

constexpr const char* kStyle = R"css(
:root { --fg:#1d2330; --muted:#5b6475; --line:#d8dce4; --bg:#f6f7f9; --err:#b3261e; --warn:#9a6700;
        --note:#3d5a99; --cycle:#d1242f; --lock:#fff4d6; --thread:#e3ecff; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header, main, footer { max-width:1100px; margin:0 auto; padding:12px 20px; }
header h1 { margin:8px 0 2px; font-size:22px; }
.summary { color:var(--muted); margin:0; }
table.index { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
table.index td, table.index th { padding:4px 8px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
h2.test { font-size:16px; margin:28px 0 8px; padding:6px 10px; background:#eceff4; border-left:4px solid var(--note); }
article.finding { background:#fff; border:1px solid var(--line); border-left:5px solid var(--err); border-radius:4px;
                  margin:16px 0; padding:10px 16px; }
article.sev-warning { border-left-color:var(--warn); }
article.sev-note { border-left-color:var(--note); }
article h3 { margin:4px 0; font-size:16px; }
.kind { font-family:ui-monospace, monospace; color:var(--err); }
.sev-warning .kind { color:var(--warn); } .sev-note .kind { color:var(--note); }
.where { color:var(--muted); font-weight:normal; font-size:13px; }
.message { font-weight:600; margin:6px 0; }
code, .loc, pre { font-family:ui-monospace, "SFMono-Regular", Menlo, monospace; font-size:12.5px; }
figure { margin:10px 0; }
figcaption { font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
svg { background:#fcfcfd; border:1px solid var(--line); border-radius:4px; max-width:100%; height:auto; }
svg text { font:12px system-ui, sans-serif; fill:var(--fg); }
svg .nid { font:bold 12px ui-monospace, monospace; }
svg .nname { font-weight:600; }
svg .nnote, svg .tick { fill:var(--muted); font-size:11px; }
svg .node.lock circle { fill:var(--lock); stroke:#a57d00; stroke-width:1.5; }
svg .node.thread circle { fill:var(--thread); stroke:#3d5a99; stroke-width:1.5; }
svg .edge path { fill:none; stroke:#8a93a6; stroke-width:1.5; }
svg .edge.cycle path { stroke:var(--cycle); stroke-width:2.5; }
svg .elabel { paint-order:stroke; stroke:#fcfcfd; stroke-width:4px; stroke-linejoin:round; font-size:11.5px; }
svg .edge.cycle .elabel { fill:var(--cycle); }
svg .arrow { fill:#8a93a6; } svg .arrow.cycle { fill:var(--cycle); }
svg .row { fill:#f0f2f6; } svg .axis { stroke:var(--line); }
svg .break line { stroke:var(--muted); stroke-width:1.5; }
svg .hold { stroke:rgba(0,0,0,.35); stroke-width:.5; }
svg .hold.open { stroke:#000; stroke-dasharray:3 2; stroke-width:1; }
.h0 { fill:#4e79a7; } .h1 { fill:#f28e2b; } .h2 { fill:#59a14f; } .h3 { fill:#e15759; }
.h4 { fill:#76b7b2; } .h5 { fill:#edc948; } .h6 { fill:#b07aa1; } .h7 { fill:#9c755f; }
section.stack { margin:10px 0; }
section.stack h4 { margin:0 0 4px; font-size:13.5px; color:var(--note); }
section.stack:target h4 { background:#fff8c5; }
ol.frames { margin:0; padding-left:34px; }
ol.frames li { margin:2px 0; }
.fn { font-family:ui-monospace, monospace; font-weight:600; font-size:12.5px; }
.loc { color:var(--muted); }
pre.src { margin:3px 0 6px; padding:4px 8px; background:#f6f8fa; border:1px solid #eaecef; border-radius:3px; overflow-x:auto; }
pre.src .ln { color:#8c959f; user-select:none; }
pre.src mark { background:#fff1b8; display:inline-block; min-width:100%; }
details.folded summary { color:var(--muted); cursor:pointer; font-size:12.5px; }
.intest { color:var(--muted); font-size:12.5px; margin:0 0 2px; }
ul.hints { margin:8px 0 4px; padding-left:20px; } ul.hints li::marker { content:"hint: "; color:var(--muted); }
.nostack { color:var(--muted); }
footer { color:var(--muted); }
)css";

std::string Esc(std::string_view s) { return HtmlEscape(s); }

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Where(const SourceLocation& loc) {
  std::string s = loc.file.empty() ? std::string("<unknown>") : loc.file;
  if (loc.line != 0) s += ":" + std::to_string(loc.line);
  return s;
}

std::string BaseName(const std::string& file) {
  size_t slash = file.find_last_of('/');
  return slash == std::string::npos ? file : file.substr(slash + 1);
}

const char* SeverityClass(Severity s) {
  switch (s) {
    case Severity::kError: return "sev-error";
    case Severity::kWarning: return "sev-warning";
    case Severity::kNote: return "sev-note";
  }
  return "sev-error";
}

// The frame's line with two lines either side, the frame's own marked.
void RenderExcerpt(const SourceLocation& fr, SourceLines& sources, std::ostream& out) {
  if (fr.line == 0 || !sources.Line(fr.file, fr.line)) return;
  constexpr uint32_t kContext = 2;
  const uint32_t first = fr.line > kContext ? fr.line - kContext : 1;
  out << "<pre class=\"src\">";
  for (uint32_t n = first; n <= fr.line + kContext; ++n) {
    auto text = sources.Line(fr.file, n);
    if (!text) break;
    const std::string row = "<span class=\"ln\">" + std::to_string(n) + "</span>  " + Esc(*text);
    if (n == fr.line) {
      out << "<mark>" << row << "</mark>";
    } else {
      out << row;
    }
    out << '\n';
  }
  out << "</pre>";
}

void RenderFrame(size_t i, const SourceLocation& fr, bool excerpt, SourceLines& sources, std::ostream& out) {
  out << "<li value=\"" << i << "\"><span class=\"fn\">"
      << Esc(fr.function.empty() ? std::string("<unknown>") : fr.function) << "</span> <span class=\"loc\">"
      << Esc(Where(fr)) << "</span>";
  if (excerpt) RenderExcerpt(fr, sources, out);
  out << "</li>\n";
}

void RenderFrames(const std::vector<SourceLocation>& frames, bool full, SourceLines& sources, std::ostream& out) {
  out << "<ol class=\"frames\" start=\"0\">\n";
  for (const FrameRun& run : FoldFrames(frames, full)) {
    if (!run.folded) {
      RenderFrame(run.from, frames[run.from], true, sources, out);
      continue;
    }
    std::vector<std::string> files;
    for (size_t i = run.from; i < run.to; ++i) {
      std::string base = BaseName(frames[i].file);
      if (std::find(files.begin(), files.end(), base) == files.end()) files.push_back(base);
    }
    std::string in;
    for (size_t i = 0; i < files.size(); ++i) in += (i ? ", " : "") + files[i];
    out << "<li value=\"" << run.from << "\" class=\"folded\"><details class=\"folded\"><summary>#" << run.from
        << "-#" << (run.to - 1) << " folded: " << (run.to - run.from) << " frames in " << Esc(in)
        << "</summary><ol class=\"frames\" start=\"" << run.from << "\">\n";
    for (size_t i = run.from; i < run.to; ++i) RenderFrame(i, frames[i], false, sources, out);
    out << "</ol></details></li>\n";
  }
  out << "</ol>\n";
}

// ---- the graph -------------------------------------------------------------------

constexpr double kNodeR = 26;
// Roughly the width of one character of the SVG's 12px sans-serif text: the layout makes
// room for names and labels without measuring them (there is no script to measure).
constexpr double kCharW = 7.2;

double TextWidth(const std::string& s) { return kCharW * static_cast<double>(s.size()); }

void RenderGraph(const Finding& f, const std::string& id, std::ostream& out) {
  const FindingGraph& g = f.graph;
  const size_t n = g.nodes.size();
  // Adjacent nodes far enough apart for the edge label between them; names fit outside.
  double label = 0;
  double name = 0;
  for (const GraphEdge& e : g.edges) label = std::max(label, TextWidth(e.label));
  for (const GraphNode& node : g.nodes) {
    name = std::max({name, TextWidth(node.name.empty() ? node.id : node.name), TextWidth(node.note)});
  }
  const double chord = n <= 2 ? 2.0 : 2.0 * std::sin(std::numbers::pi / static_cast<double>(n));
  const double ring = std::clamp((label + 2 * kNodeR) / chord, n <= 2 ? 90.0 : 50.0 + 34.0 * static_cast<double>(n), 480.0);
  const double margin_x = std::max({120.0, kNodeR + 24 + name, label + 20 - 0.4 * ring});
  const double margin_y = 80;
  const double width = 2 * ring + 2 * margin_x;
  const double height = 2 * ring + 2 * margin_y;
  const double cx = width / 2;
  const double cy = height / 2;
  const std::vector<Point> at = CircleLayout(n, cx, cy, ring);
  const bool deadlock = f.kind == FindingKind::kDeadlock;
  out << "<figure class=\"graph\"><figcaption>" << (deadlock ? "Wait-for graph" : "Lock-order graph")
      << "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lockgraph\" width=\"" << Num(width)
      << "\" height=\"" << Num(height) << "\" viewBox=\"0 0 " << Num(width) << ' ' << Num(height)
      << "\" role=\"img\" aria-label=\"" << (deadlock ? "wait-for graph" : "lock-order graph") << "\">\n<defs>";
  for (const char* variant : {"", "cycle"}) {
    out << "<marker id=\"" << id << "-arrow" << (*variant ? "-" : "") << variant
        << "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
           "orient=\"auto-start-reverse\"><path class=\"arrow "
        << variant << "\" d=\"M0,0 L10,5 L0,10 z\"/></marker>";
  }
  out << "</defs>\n";
  for (size_t k = 0; k < g.edges.size(); ++k) {
    const GraphEdge& e = g.edges[k];
    if (e.from >= n || e.to >= n) continue;
    const EdgeCurve c = CurveBetween(at[e.from], at[e.to], kNodeR + 3, n <= 2 ? 36 : 22);
    out << "<g class=\"edge" << (e.on_cycle ? " cycle" : "") << "\" data-from=\"" << Esc(g.nodes[e.from].id)
        << "\" data-to=\"" << Esc(g.nodes[e.to].id) << "\">";
    if (e.section >= 0) out << "<a href=\"#" << id << "-s" << e.section << "\">";
    out << "<title>" << Esc(g.nodes[e.from].id + " -> " + g.nodes[e.to].id + ": " + e.label + " (" +
                            Where(e.site) + ")")
        << "</title><path d=\"M" << Num(c.start.x) << ',' << Num(c.start.y) << " Q" << Num(c.control.x) << ','
        << Num(c.control.y) << ' ' << Num(c.end.x) << ',' << Num(c.end.y) << "\" marker-end=\"url(#" << id
        << "-arrow" << (e.on_cycle ? "-cycle" : "") << ")\"/>";
    // Labels run away from the centre, as the names do: two edges' labels at one height
    // on either side of the ring do not run into each other.
    const char* anchor = c.label.x < cx - 12 ? "end" : c.label.x > cx + 12 ? "start" : "middle";
    out << "<text class=\"elabel\" x=\"" << Num(c.label.x) << "\" y=\"" << Num(c.label.y) << "\" text-anchor=\""
        << anchor << "\" dominant-baseline=\"middle\">" << Esc(e.label) << "</text>";
    if (e.section >= 0) out << "</a>";
    out << "</g>\n";
  }
  for (size_t k = 0; k < n; ++k) {
    const GraphNode& node = g.nodes[k];
    const Point p = at[k];
    // The name goes outside the ring, on the node's side of the centre.
    const double dx = p.x - cx;
    const double dy = p.y - cy;
    const double len = std::hypot(dx, dy);
    const double ux = len > 0 ? dx / len : 0;
    const double uy = len > 0 ? dy / len : 1;
    const double tx = p.x + ux * (kNodeR + 10);
    const double ty = p.y + uy * (kNodeR + 14) + (uy > 0.3 ? 6 : 0);
    const char* anchor = ux > 0.3 ? "start" : ux < -0.3 ? "end" : "middle";
    const bool lock = node.kind == GraphNodeKind::kLock;
    out << "<g class=\"node " << (lock ? "lock" : "thread") << "\" data-id=\"" << Esc(node.id) << "\"><title>"
        << Esc((lock ? "lock " : "thread ") + (node.name.empty() ? node.id : node.name + " (" + node.id + ")") +
               (node.note.empty() ? "" : ", " + node.note))
        << "</title><circle cx=\"" << Num(p.x) << "\" cy=\"" << Num(p.y) << "\" r=\"" << Num(kNodeR)
        << "\"/><text class=\"nid\" x=\"" << Num(p.x) << "\" y=\"" << Num(p.y)
        << "\" text-anchor=\"middle\" dominant-baseline=\"central\">" << Esc(node.id) << "</text>";
    out << "<text class=\"nname\" x=\"" << Num(tx) << "\" y=\"" << Num(ty) << "\" text-anchor=\"" << anchor
        << "\">" << Esc(node.name.empty() ? node.id : node.name) << "</text>";
    if (!node.note.empty()) {
      out << "<text class=\"nnote\" x=\"" << Num(tx) << "\" y=\"" << Num(ty + 14) << "\" text-anchor=\"" << anchor
          << "\">" << Esc(node.note) << "</text>";
    }
    out << "</g>\n";
  }
  out << "</svg></figure>\n";
}

// ---- the timeline ----------------------------------------------------------------

std::string Millis(uint64_t us) {
  char buf[32];
  const double ms = static_cast<double>(us) / 1000.0;
  std::snprintf(buf, sizeof buf, ms >= 100 ? "%.0f ms" : ms >= 10 ? "%.1f ms" : "%.3g ms", ms);
  return buf;
}

void RenderTimeline(const Finding& f, std::ostream& out) {
  // Colours follow the graph's lock order, then any other lock in order of appearance.
  std::vector<std::string> locks;
  std::map<std::string, std::string> lock_labels;
  for (const GraphNode& n : f.graph.nodes) {
    if (n.kind == GraphNodeKind::kLock) locks.push_back(n.id);
  }
  std::vector<std::string> threads;
  std::map<std::string, std::string> thread_labels;
  uint64_t t0 = UINT64_MAX;
  for (const LockHold& h : f.holds) {
    if (std::find(locks.begin(), locks.end(), h.lock_id) == locks.end()) locks.push_back(h.lock_id);
    lock_labels[h.lock_id] = h.lock;
    if (std::find(threads.begin(), threads.end(), h.thread_id) == threads.end()) threads.push_back(h.thread_id);
    thread_labels[h.thread_id] = h.thread;
    t0 = std::min(t0, h.begin_us);
  }
  double longest = 0;
  for (const auto& [tid, label] : thread_labels) longest = std::max(longest, TextWidth(label));
  const double label_w = std::max(120.0, longest + 16);
  constexpr double kPlotW = 680;
  constexpr double kRowH = 26;
  constexpr double kTop = 10;
  const double rows_h = kRowH * static_cast<double>(threads.size());
  const double legend_y = kTop + rows_h + 34;
  const double height = legend_y + 20 * static_cast<double>(locks.size()) + 6;
  double legend = 0;
  for (const auto& [lock, label] : lock_labels) legend = std::max(legend, TextWidth(label) + 18);
  const double width = label_w + std::max(kPlotW, legend) + 20;
  std::vector<std::pair<AxisPoint, AxisPoint>> intervals;
  for (const LockHold& h : f.holds) intervals.push_back({{h.begin_us, h.begin_seq}, {h.end_us, h.end_seq}});
  constexpr double kBreakW = 14;
  const TimeAxis axis(intervals, label_w, kPlotW, kBreakW);
  const std::vector<AxisPiece>& pieces = axis.pieces();
  auto color = [&](const std::string& lock) {
    const size_t i = static_cast<size_t>(std::find(locks.begin(), locks.end(), lock) - locks.begin());
    return "h" + std::to_string(i % 8);
  };
  out << "<figure class=\"timeline\"><figcaption>Lock holds by thread</figcaption>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"holds\" width=\"" << Num(width) << "\" height=\""
      << Num(height) << "\" viewBox=\"0 0 " << Num(width) << ' ' << Num(height)
      << "\" role=\"img\" aria-label=\"lock holds by thread\">\n";
  for (size_t r = 0; r < threads.size(); ++r) {
    const double y = kTop + kRowH * static_cast<double>(r);
    for (const AxisPiece& p : pieces) {
      out << "<rect class=\"row\" x=\"" << Num(p.x0) << "\" y=\"" << Num(y + 3) << "\" width=\"" << Num(p.x1 - p.x0)
          << "\" height=\"" << Num(kRowH - 6) << "\"/>";
    }
    out << "<text x=\"" << Num(label_w - 8) << "\" y=\"" << Num(y + kRowH / 2)
        << "\" text-anchor=\"end\" dominant-baseline=\"middle\">" << Esc(thread_labels[threads[r]]) << "</text>\n";
  }
  for (const LockHold& h : f.holds) {
    const size_t r = static_cast<size_t>(std::find(threads.begin(), threads.end(), h.thread_id) - threads.begin());
    const double y = kTop + kRowH * static_cast<double>(r) + 5;
    const double x0 = axis.X({h.begin_us, h.begin_seq});
    const double w = std::max(3.0, axis.X({h.end_us, h.end_seq}) - x0);
    out << "<rect class=\"hold " << color(h.lock_id) << (h.open ? " open" : "") << "\" data-lock=\""
        << Esc(h.lock_id) << "\" data-thread=\"" << Esc(h.thread_id) << "\" x=\"" << Num(x0) << "\" y=\"" << Num(y)
        << "\" width=\"" << Num(w) << "\" height=\"" << Num(kRowH - 10) << "\"><title>"
        << Esc(h.lock + " held by " + h.thread + " from +" + Millis(h.begin_us - t0) + " for " +
               Millis(h.end_us - h.begin_us) + (h.open ? " (still held)" : "") + ", acquired at " + Where(h.site))
        << "</title></rect>\n";
  }
  const double axis_y = kTop + rows_h + 4;
  for (const AxisPiece& p : pieces) {
    out << "<line class=\"axis\" x1=\"" << Num(p.x0) << "\" y1=\"" << Num(axis_y) << "\" x2=\"" << Num(p.x1)
        << "\" y2=\"" << Num(axis_y) << "\"/>\n";
  }
  // A break: two slanted strokes across the rows and the axis, saying what was left out.
  for (size_t i = 1; i < pieces.size(); ++i) {
    const double mx = (pieces[i - 1].x1 + pieces[i].x0) / 2;
    out << "<g class=\"break\"><title>" << Esc("nothing held for " + Millis(pieces[i].begin - pieces[i - 1].end) +
                                              " (left out)")
        << "</title>";
    for (double dx : {-3.0, 3.0}) {
      out << "<line x1=\"" << Num(mx + dx - 3) << "\" y1=\"" << Num(axis_y + 4) << "\" x2=\"" << Num(mx + dx + 3)
          << "\" y2=\"" << Num(kTop) << "\"/>";
    }
    out << "</g>\n";
  }
  // The axis is not linear: ticks stand at hold ends (the first, then any far enough
  // from the last tick at another time, and the last), each saying its own time; where
  // a piece starts after a break beats the tick just before it.
  constexpr double kTickGap = 80;
  std::vector<std::pair<double, uint64_t>> ticks;
  const std::vector<AxisPoint>& points = axis.points();
  size_t piece = 0;
  for (const AxisPoint& p : points) {
    const double px = axis.X(p);
    bool starts = false;
    if (piece + 1 < pieces.size() && px >= pieces[piece + 1].x0) {
      ++piece;
      starts = true;
    }
    if (ticks.empty() || (px - ticks.back().first >= kTickGap && p.us - t0 != ticks.back().second)) {
      ticks.push_back({px, p.us - t0});
    } else if (starts && ticks.size() > 1 && px - ticks[ticks.size() - 2].first >= kTickGap) {
      ticks.back() = {px, p.us - t0};
    }
  }
  if (!points.empty() && points.back().us - t0 != ticks.back().second) {
    if (ticks.size() > 1 && axis.X(points.back()) - ticks.back().first < kTickGap) ticks.pop_back();
    ticks.push_back({axis.X(points.back()), points.back().us - t0});
  }
  for (size_t q = 0; q < ticks.size(); ++q) {
    out << "<text class=\"tick\" x=\"" << Num(ticks[q].first) << "\" y=\"" << Num(axis_y + 14)
        << "\" text-anchor=\"" << (q == 0 ? "start" : q + 1 == ticks.size() ? "end" : "middle") << "\">+"
        << Millis(ticks[q].second) << "</text>\n";
  }
  for (size_t i = 0; i < locks.size(); ++i) {
    const double lx = label_w;
    const double ly = legend_y + 20 * static_cast<double>(i);
    const std::string label = lock_labels.count(locks[i]) ? lock_labels[locks[i]] : locks[i];
    out << "<rect class=\"" << color(locks[i]) << "\" x=\"" << Num(lx) << "\" y=\"" << Num(ly - 10)
        << "\" width=\"12\" height=\"12\"/><text x=\"" << Num(lx + 18) << "\" y=\"" << Num(ly)
        << "\">" << Esc(label) << "</text>\n";
  }
  out << "</svg></figure>\n";
}

// ---- findings --------------------------------------------------------------------

void RenderFinding(const Finding& f, size_t index, const ReportInfo& info, SourceLines& sources, std::ostream& out) {
  const std::string id = "f" + std::to_string(index + 1);
  out << "<article class=\"finding " << SeverityClass(f.severity) << "\" id=\"" << id << "\" data-kind=\""
      << FindingKindId(f.kind) << "\">\n<h3><span class=\"kind\">" << FindingKindId(f.kind) << "</span>";
  if (!f.rule.empty()) out << " <code>" << Esc(f.rule) << "</code>";
  out << " <span class=\"where\">" << Esc(Where(f.primary));
  if (!f.primary.function.empty()) out << " in " << Esc(f.primary.function);
  out << "</span></h3>\n<p class=\"message\">" << Esc(f.message) << "</p>\n";
  if (f.count > 1) out << "<p class=\"count\">seen " << f.count << " times; the first is shown</p>\n";
  if (!f.graph.nodes.empty()) RenderGraph(f, id, out);
  if (!f.holds.empty()) RenderTimeline(f, out);
  // The primary location with its source, unless a stack below already shows that line
  // (a lint finding's sections are its related locations only).
  bool primary_shown = false;
  for (const Section& s : f.sections) {
    for (const SourceLocation& fr : s.frames) primary_shown |= fr.file == f.primary.file && fr.line == f.primary.line;
  }
  if (!primary_shown && !f.primary.file.empty()) RenderFrames({f.primary}, true, sources, out);
  const std::string& test = FindingTest(f);
  for (size_t k = 0; k < f.sections.size(); ++k) {
    const Section& s = f.sections[k];
    out << "<section class=\"stack\" id=\"" << id << "-s" << k << "\"><h4>" << Esc(s.title) << "</h4>\n";
    // A stack from another test than the finding's (a thread an earlier test left running).
    if (!s.test.empty() && s.test != test) out << "<p class=\"intest\">in test <code>" << Esc(s.test) << "</code></p>\n";
    if (s.frames.empty()) {
      out << "<p class=\"nostack\">no stack</p>\n";
    } else {
      RenderFrames(s.frames, info.full_stacks, sources, out);
    }
    out << "</section>\n";
  }
  if (!f.notes.empty()) {
    out << "<ul class=\"hints\">";
    for (const std::string& note : f.notes) out << "<li>" << Esc(note) << "</li>";
    out << "</ul>\n";
  }
  out << "</article>\n";
}

}  // namespace

void RenderHtml(const std::vector<Finding>& findings, const ReportInfo& info, SourceLines& sources,
                std::ostream& out) {
  const size_t n = findings.size();
  const std::string count = std::to_string(n) + (n == 1 ? " warning" : " warnings");
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      // Nothing may be loaded: the report is one file, readable offline and safe to open.
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>pyrace report: " << count << "</title>\n<style>" << kStyle << "</style></head>\n<body>\n"
      << "<header><h1>pyrace report</h1><p class=\"summary\">" << count;
  if (info.pid != 0) out << " &middot; pid " << info.pid;
  if (info.suppressed != 0) out << " &middot; " << info.suppressed << " suppressed";
  out << " &middot; pyrace " << Esc(PYRACE_VERSION) << "</p></header>\n<main>\n";

  // Under pytest, findings come grouped by the test they were found in, in the order the
  // tests first appear (the run's order), as in the text report.
  std::vector<std::string> tests;
  for (const Finding& f : findings) {
    if (std::find(tests.begin(), tests.end(), FindingTest(f)) == tests.end()) tests.push_back(FindingTest(f));
  }
  const bool grouped = tests.size() > 1 || (tests.size() == 1 && !tests[0].empty());
  std::vector<size_t> order;
  for (const std::string& test : tests) {
    for (size_t i = 0; i < n; ++i) {
      if (FindingTest(findings[i]) == test) order.push_back(i);
    }
  }
  if (n > 0) {
    out << "<table class=\"index\"><tr><th>#</th><th>kind</th>" << (grouped ? "<th>test</th>" : "")
        << "<th>message</th><th>where</th></tr>\n";
    for (size_t i : order) {
      const Finding& f = findings[i];
      out << "<tr><td><a href=\"#f" << (i + 1) << "\">" << (i + 1) << "</a></td><td class=\"kind\">"
          << FindingKindId(f.kind) << "</td>";
      if (grouped) out << "<td><code>" << Esc(FindingTest(f)) << "</code></td>";
      out << "<td>" << Esc(f.message) << "</td><td class=\"loc\">" << Esc(Where(f.primary)) << "</td></tr>\n";
    }
    out << "</table>\n";
  } else {
    out << "<p>No warnings.</p>\n";
  }
  for (const std::string& test : tests) {
    if (grouped) {
      out << "<h2 class=\"test\">";
      if (test.empty()) {
        out << "outside any test";
      } else {
        out << "in test <code>" << Esc(test) << "</code>";
      }
      out << "</h2>\n";
    }
    for (size_t i = 0; i < n; ++i) {
      if (FindingTest(findings[i]) == test) RenderFinding(findings[i], i, info, sources, out);
    }
  }
  out << "</main>\n<footer>";
  for (const std::string& s : info.unused_suppressions) out << "<p>unused suppression: " << Esc(s) << "</p>";
  out << "</footer>\n</body></html>\n";
}

}  // namespace pyrace
