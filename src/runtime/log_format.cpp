// The "json" log format (include/barrel_p2p/log_format.hpp) and the node's stderr logger.
#include "barrel_p2p/log_format.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "runtime/log_format.hpp"

namespace barrel_p2p {

namespace {

/// spdlog formatter writing json_log_line() lines.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string line =
        json_log_line(msg.time, std::string_view(level.data(), level.size()),
                      std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                      std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level,
                          std::string_view logger, std::string_view message) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  const auto whole = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char stamp[40];
  std::size_t length = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  length += static_cast<std::size_t>(std::snprintf(stamp + length, sizeof stamp - length, ".%03dZ",
                                                   static_cast<int>(millis.count())));
  const nlohmann::ordered_json line = {{"time", std::string_view(stamp, length)},
                                       {"level", level},
                                       {"logger", logger},
                                       {"msg", message}};
  // replace: bytes that are not UTF-8 become U+FFFD instead of an exception.
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

namespace runtime {

std::shared_ptr<spdlog::logger> make_stderr_logger(const std::string& name,
                                                   const std::string& level,
                                                   const std::string& format) {
  auto logger = std::make_shared<spdlog::logger>(
      name, std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (format == "json") logger->set_formatter(std::make_unique<JsonFormatter>());
  logger->set_level(spdlog::level::from_str(level));
  return logger;
}

}  // namespace runtime

}  // namespace barrel_p2p
