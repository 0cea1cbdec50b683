#include "tool/render/graph_layout.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace pyrace {

std::vector<Point> CircleLayout(size_t n, double cx, double cy, double r) {
  std::vector<Point> out;
  out.reserve(n);
  if (n == 1) {
    out.push_back({cx, cy});
    return out;
  }
  for (size_t i = 0; i < n; ++i) {
    // Screen y grows downwards: starting at -pi/2 puts the first node on top, and a
    // growing angle goes clockwise.
    const double angle = -std::numbers::pi / 2 + 2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n);
    out.push_back({cx + r * std::cos(angle), cy + r * std::sin(angle)});
  }
  return out;
}

namespace {

Point Toward(Point from, Point to, double distance) {
  const double dx = to.x - from.x;
  const double dy = to.y - from.y;
  const double len = std::hypot(dx, dy);
  if (len == 0) return from;
  return {from.x + dx / len * distance, from.y + dy / len * distance};
}

Point QuadMid(Point a, Point c, Point b) {
  return {0.25 * a.x + 0.5 * c.x + 0.25 * b.x, 0.25 * a.y + 0.5 * c.y + 0.25 * b.y};
}

}  // namespace

EdgeCurve CurveBetween(Point a, Point b, double node_r, double bend) {
  EdgeCurve e;
  if (a.x == b.x && a.y == b.y) {
    // A loop: leaves the rim up-left, comes back up-right, control point above.
    const double d = node_r * std::numbers::sqrt2 / 2;
    e.start = {a.x - d, a.y - d};
    e.end = {a.x + d, a.y - d};
    e.control = {a.x, a.y - node_r - 3 * std::max(bend, node_r)};
    e.label = QuadMid(e.start, e.control, e.end);
    return e;
  }
  const double dx = b.x - a.x;
  const double dy = b.y - a.y;
  const double len = std::hypot(dx, dy);
  // Left of the direction a -> b in screen coordinates (y down) is (dy, -dx).
  const Point mid{(a.x + b.x) / 2, (a.y + b.y) / 2};
  e.control = {mid.x + dy / len * bend, mid.y - dx / len * bend};
  e.start = Toward(a, e.control, node_r);
  e.end = Toward(b, e.control, node_r);
  e.label = QuadMid(e.start, e.control, e.end);
  return e;
}

TimeAxis::TimeAxis(const std::vector<std::pair<AxisPoint, AxisPoint>>& intervals, double x, double width,
                   double break_width) {
  for (const auto& [b, e] : intervals) {
    points_.push_back(b);
    points_.push_back(std::max(b, e));
  }
  std::sort(points_.begin(), points_.end());
  points_.erase(std::unique(points_.begin(), points_.end()), points_.end());
  if (points_.empty()) {
    pieces_.push_back({0, 0, x, x + width});
    return;
  }
  // The idle stretches between the union's runs (in time), the longest kept as breaks.
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (const auto& [b, e] : intervals) spans.push_back({b.us, std::max(b, e).us});
  std::sort(spans.begin(), spans.end());
  const uint64_t t0 = points_.front().us;
  const uint64_t t1 = points_.back().us;
  std::vector<std::pair<uint64_t, uint64_t>> gaps;
  uint64_t reach = spans.front().second;
  for (const auto& [b, e] : spans) {
    if (b > reach) gaps.push_back({reach, b});
    reach = std::max(reach, e);
  }
  const double span = static_cast<double>(t1 - t0);
  std::erase_if(gaps, [&](const auto& g) { return static_cast<double>(g.second - g.first) <= kIdleShare * span; });
  std::sort(gaps.begin(), gaps.end(), [](const auto& a, const auto& b) {
    return a.second - a.first != b.second - b.first ? a.second - a.first > b.second - b.first : a.first < b.first;
  });
  if (gaps.size() > kMaxBreaks) gaps.resize(kMaxBreaks);
  std::sort(gaps.begin(), gaps.end());
  // Step i (points i -> i + 1) is a break when it crosses one: nothing is held inside a
  // gap, so no point lies in it.
  const size_t n = points_.size();
  std::vector<bool> brk(n, false);
  double time_total = 0;
  size_t steps = 0;
  for (size_t i = 0; i + 1 < n; ++i) {
    const uint64_t a = points_[i].us, b = points_[i + 1].us;
    for (const auto& g : gaps) brk[i] = brk[i] || (a <= g.first && b >= g.second);
    if (!brk[i]) {
      time_total += static_cast<double>(b - a);
      ++steps;
    }
  }
  const size_t breaks = gaps.size();
  const double bw = breaks == 0 ? 0 : std::min(break_width, width / 2 / static_cast<double>(breaks));
  const double drawn = width - bw * static_cast<double>(breaks);
  // Each piece also has half an order step of room at either end, so a piece of one
  // instant is still as wide as a step.
  const double units = static_cast<double>(steps + breaks + 1);
  const double order_share = time_total > 0 ? kOrderShare : 1.0;
  const double step = order_share * drawn / units;
  const double per_us = time_total > 0 ? (1 - order_share) * drawn / time_total : 0;
  double cur = x + step / 2;
  pieces_.push_back({points_[0].us, points_[0].us, x, 0});
  for (size_t i = 0; i < n; ++i) {
    xs_.push_back(cur);
    pieces_.back().end = points_[i].us;
    if (i + 1 == n) break;
    if (brk[i]) {
      pieces_.back().x1 = cur + step / 2;
      cur += step + bw;
      pieces_.push_back({points_[i + 1].us, points_[i + 1].us, cur - step / 2, 0});
    } else {
      cur += step + per_us * static_cast<double>(points_[i + 1].us - points_[i].us);
    }
  }
  pieces_.back().x1 = cur + step / 2;
}

double TimeAxis::X(AxisPoint p) const {
  auto it = std::lower_bound(points_.begin(), points_.end(), p);
  const size_t i = static_cast<size_t>(it - points_.begin());
  if (xs_.empty()) return pieces_.front().x0;
  if (i == points_.size()) return xs_.back();
  if (*it == p || i == 0) return xs_[i];
  return (xs_[i - 1] + xs_[i]) / 2;
}

}  // namespace pyrace
