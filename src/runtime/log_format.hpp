// The node's stderr logger, in the configured format (Config::log_format).
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace barrel_p2p::runtime {

/// A logger named `name` writing to stderr at `level` ("trace" … "off"), as text (spdlog's
/// default pattern) or, with `format` "json", one json_log_line() per line.
std::shared_ptr<spdlog::logger> make_stderr_logger(const std::string& name,
                                                   const std::string& level,
                                                   const std::string& format);

}  // namespace barrel_p2p::runtime
