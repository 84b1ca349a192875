// GET /metrics of the admin endpoint: a node's counters in the Prometheus text exposition
// format 0.0.4, written by hand (decision 0013). Names follow Prometheus conventions:
// barrel_p2p_<what>_total for counters, a bare name for gauges, labels for outcome, reason,
// direction and type.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "barrel_p2p/node.hpp"

namespace barrel_p2p::cli {

/// The Content-Type of the text exposition format.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Writes metric families: one `# HELP` and `# TYPE` line, then its samples.
class PrometheusWriter {
 public:
  /// One labelled sample: label value, value.
  using Samples = std::vector<std::pair<std::string, std::uint64_t>>;

  /// A counter or gauge without labels.
  void counter(std::string_view name, std::string_view help, std::uint64_t value);
  void gauge(std::string_view name, std::string_view help, std::uint64_t value);
  /// A family whose samples differ by the one label `label` (one sample per entry; none
  /// written when `samples` is empty, so the family then only has HELP and TYPE).
  void counters(std::string_view name, std::string_view help, std::string_view label,
                const Samples& samples);
  /// One labelled histogram: label value, histogram.
  using Histograms = std::vector<std::pair<std::string, const DurationHistogram*>>;
  /// A histogram family in seconds: cumulative `_bucket{le=...}` samples up to `+Inf`, then
  /// `_sum` and `_count`, for each entry of `histograms`, labelled `label` (none when `label`
  /// is empty; then `histograms` holds one entry).
  void histograms(std::string_view name, std::string_view help, std::string_view label,
                  const Histograms& histograms);
  /// A gauge whose value is 1, carrying `labels` (name, value): e.g. barrel_p2p_info.
  void info(std::string_view name, std::string_view help,
            const std::vector<std::pair<std::string, std::string>>& labels);

  /// The text written so far.
  [[nodiscard]] const std::string& text() const { return text_; }

  /// `value` escaped for a label value (backslash, double quote and newline).
  static std::string escape_label(std::string_view value);

 private:
  void header(std::string_view name, std::string_view help, std::string_view type);
  /// A family of one unlabelled sample.
  void sample(std::string_view name, std::string_view help, std::string_view type,
              std::uint64_t value);
  std::string text_;
};

/// Every metric of `node`: `stats` (NodeStats), the view sizes and `event_counts` (membership
/// events by type, from the admin endpoint's feed).
std::string metrics_text(const Node& node, const NodeStats& stats,
                         const std::map<std::string, std::uint64_t>& event_counts);

}  // namespace barrel_p2p::cli
