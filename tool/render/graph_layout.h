// Geometry for drawing a finding's small graph (a lock-order cycle, a deadlock's
// wait-for graph) in the HTML report: pure functions, unit-tested apart from the markup.
// The graphs are a handful of nodes whose order already follows the cycle, so a circle
// in that order draws the cycle as a ring.
#pragma once

#include <cstddef>
#include <vector>

namespace pyrace {

struct Point {
  double x = 0;
  double y = 0;
};

// n points on the circle of radius r around (cx, cy), the first at the top, clockwise.
std::vector<Point> CircleLayout(size_t n, double cx, double cy, double r);

// A directed edge as a quadratic curve from one node to another, both drawn as circles
// of radius node_r: it starts and ends on their rims, and bends by `bend` to the left of
// its direction, so that a -> b and b -> a are two visible curves. From a node to
// itself: a loop above the node.
struct EdgeCurve {
  Point start;
  Point control;
  Point end;
  Point label;  // the curve's midpoint, where its label goes
};
EdgeCurve CurveBetween(Point a, Point b, double node_r, double bend);

}  // namespace pyrace
