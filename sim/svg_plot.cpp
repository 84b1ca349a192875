#include "sim/svg_plot.hpp"

#include <algorithm>
#include <cstdio>

namespace barrel_p2p::sim {

namespace {
std::string fmt(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", value);
  return buffer;
}
}  // namespace

std::string line_chart(const std::string& title, const std::string& x_label,
                       const std::string& y_label, const std::vector<Series>& series, double y_min,
                       double y_max) {
  const double width = 800, height = 480, left = 70, right = 170, top = 40, bottom = 50;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  double x_max = 1;
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) x_max = std::max(x_max, x);
  }
  auto px = [&](double x) { return left + x / x_max * plot_w; };
  auto py = [&](double y) { return top + (1 - (y - y_min) / (y_max - y_min)) * plot_h; };
  static const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt(width) +
                    "\" height=\"" + fmt(height) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  out += "<text x=\"" + fmt(width / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" +
         title + "</text>\n";
  out += "<line x1=\"" + fmt(left) + "\" y1=\"" + fmt(top + plot_h) + "\" x2=\"" +
         fmt(left + plot_w) + "\" y2=\"" + fmt(top + plot_h) + "\" stroke=\"black\"/>\n";
  out += "<line x1=\"" + fmt(left) + "\" y1=\"" + fmt(top) + "\" x2=\"" + fmt(left) + "\" y2=\"" +
         fmt(top + plot_h) + "\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 5; ++i) {
    const double y = y_min + (y_max - y_min) * i / 5;
    out += "<text x=\"" + fmt(left - 8) + "\" y=\"" + fmt(py(y) + 4) + "\" text-anchor=\"end\">" +
           fmt(y) + "</text>\n";
    out += "<line x1=\"" + fmt(left) + "\" y1=\"" + fmt(py(y)) + "\" x2=\"" + fmt(left + plot_w) +
           "\" y2=\"" + fmt(py(y)) + "\" stroke=\"#ddd\"/>\n";
    const double x = x_max * i / 5;
    out += "<text x=\"" + fmt(px(x)) + "\" y=\"" + fmt(top + plot_h + 18) +
           "\" text-anchor=\"middle\">" + fmt(x) + "</text>\n";
  }
  out += "<text x=\"" + fmt(left + plot_w / 2) + "\" y=\"" + fmt(height - 10) +
         "\" text-anchor=\"middle\">" + x_label + "</text>\n";
  out += "<text x=\"16\" y=\"" + fmt(top + plot_h / 2) + "\" transform=\"rotate(-90 16 " +
         fmt(top + plot_h / 2) + ")\" text-anchor=\"middle\">" + y_label + "</text>\n";
  for (std::size_t i = 0; i < series.size(); ++i) {
    const char* color = colors[i % 10];
    std::string points;
    for (const auto& [x, y] : series[i].points) points += fmt(px(x)) + "," + fmt(py(y)) + " ";
    out += "<polyline fill=\"none\" stroke=\"" + std::string(color) +
           "\" stroke-width=\"2\" points=\"" + points + "\"/>\n";
    const double ly = top + 16 + 18.0 * static_cast<double>(i);
    out += "<line x1=\"" + fmt(left + plot_w + 15) + "\" y1=\"" + fmt(ly) + "\" x2=\"" +
           fmt(left + plot_w + 40) + "\" y2=\"" + fmt(ly) + "\" stroke=\"" + color +
           "\" stroke-width=\"2\"/>\n";
    out += "<text x=\"" + fmt(left + plot_w + 45) + "\" y=\"" + fmt(ly + 4) + "\">" +
           series[i].label + "</text>\n";
  }
  out += "</svg>\n";
  return out;
}

}  // namespace barrel_p2p::sim
