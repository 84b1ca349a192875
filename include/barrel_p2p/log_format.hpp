// Log lines in the "json" log format (Config::log_format): one JSON object per line, for log
// shippers. The node's logger and the barrel-p2p command write the same shape.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace barrel_p2p {

/// One log line in the "json" format, without the newline:
/// {"time":"2026-12-05T23:58:51.123Z","level":"info","logger":"NAME","msg":"TEXT"}.
/// `time` is written in UTC with milliseconds. Quotes, backslashes and control characters are
/// escaped; bytes that are not UTF-8 become U+FFFD, so the line is always valid JSON.
std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level,
                          std::string_view logger, std::string_view message);

}  // namespace barrel_p2p
