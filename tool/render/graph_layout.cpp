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

}  // namespace pyrace
