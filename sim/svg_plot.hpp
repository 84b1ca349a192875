// A minimal SVG line chart writer (no dependencies): one polyline per series.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace barrel_p2p::sim {

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y)
};

/// An SVG document: axes from 0 to max x and from `y_min` to `y_max`, a legend.
std::string line_chart(const std::string& title, const std::string& x_label,
                       const std::string& y_label, const std::vector<Series>& series, double y_min,
                       double y_max);

}  // namespace barrel_p2p::sim
