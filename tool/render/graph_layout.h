// Geometry for drawing a finding's small graph (a lock-order cycle, a deadlock's
// wait-for graph) in the HTML report: pure functions, unit-tested apart from the markup.
// The graphs are a handful of nodes whose order already follows the cycle, so a circle
// in that order draws the cycle as a ring.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <utility>
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

// The time axis of a timeline of lock holds. Threads that run one after another leave
// long stretches in which nobody holds anything; on a linear axis their holds would be
// slivers. And the clock is coarse (a few milliseconds): many holds begin and end at
// one time. So the axis is cut into pieces: a stretch of no holds longer than
// kIdleShare of the whole becomes a break of fixed width (the renderer marks it); within
// the pieces consecutive hold ends (begins and ends, by time then event order) are
// spaced kOrderShare of the width evenly and the rest by the time between them, so
// holds the clock cannot tell apart still show in their order, and long holds stay long.
struct AxisPoint {
  uint64_t us = 0;   // time
  uint64_t seq = 0;  // event order
  auto operator<=>(const AxisPoint&) const = default;
};
struct AxisPiece {
  uint64_t begin = 0;  // time range drawn ...
  uint64_t end = 0;
  double x0 = 0;  // ... onto this x range
  double x1 = 0;
};
class TimeAxis {
 public:
  static constexpr double kIdleShare = 0.05;
  static constexpr double kOrderShare = 0.3;
  static constexpr size_t kMaxBreaks = 24;  // the longest idle stretches; shorter ones stay in

  // intervals: [begin, end] of every hold; the axis spans [x, x + width].
  TimeAxis(const std::vector<std::pair<AxisPoint, AxisPoint>>& intervals, double x, double width, double break_width);

  // In time order; consecutive pieces have a break between them.
  const std::vector<AxisPiece>& pieces() const { return pieces_; }
  // Every hold end on the axis, in order, and where each is drawn.
  const std::vector<AxisPoint>& points() const { return points_; }
  // Where p is drawn (p one of the intervals' ends; another point is placed between
  // its neighbours).
  double X(AxisPoint p) const;

 private:
  std::vector<AxisPoint> points_;
  std::vector<double> xs_;
  std::vector<AxisPiece> pieces_;
};

}  // namespace pyrace
