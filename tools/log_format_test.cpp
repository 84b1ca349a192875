// The "json" log format: every line is one valid JSON object, whatever the message holds.
#include "barrel_p2p/log_format.hpp"

#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

namespace barrel_p2p {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

Json parsed(const std::string& line) {
  Json out = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(out.is_object()) << line;
  return out;
}

TEST(JsonLogLine, HasTheUtcTimeWithMillisecondsLevelLoggerAndMessage) {
  const auto time = std::chrono::system_clock::time_point(1796515131123ms);  // 2026-12-05
  const Json line = parsed(json_log_line(time, "info", "node-1", "peer b up at 127.0.0.1:4001"));
  EXPECT_EQ(line["time"], "2026-12-05T23:58:51.123Z");
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["logger"], "node-1");
  EXPECT_EQ(line["msg"], "peer b up at 127.0.0.1:4001");
  EXPECT_EQ(line.size(), 4U);
}

TEST(JsonLogLine, EscapesQuotesBackslashesAndControlCharacters) {
  const std::string message = std::string("a \"quoted\" \\ path\nnext\tline\x01\x7f end");
  const std::string text = json_log_line({}, "warn", "x", message);
  EXPECT_EQ(text.find('\n'), std::string::npos);  // one line
  EXPECT_EQ(parsed(text)["msg"], message);
}

TEST(JsonLogLine, KeepsUtf8AndReplacesBytesThatAreNotUtf8) {
  EXPECT_EQ(
      parsed(json_log_line({}, "info", "x", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"))["msg"],
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate, above U+10FFFF.
  const std::string bad = "\x80|\xc3|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80";
  const Json line = parsed(json_log_line({}, "info", "x", bad));
  const std::string replaced = line["msg"];
  EXPECT_EQ(replaced.find('\x80'), std::string::npos);
  EXPECT_NE(replaced.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
}

TEST(JsonLogLine, RandomBytesAlwaysGiveOneValidJsonObject) {
  std::mt19937 rng(20261205);
  for (int i = 0; i < 5000; ++i) {
    std::string message(rng() % 64, '\0');
    for (char& c : message) c = static_cast<char>(rng() % 256);
    const std::string text = json_log_line({}, "error", message, message);
    ASSERT_EQ(text.find('\n'), std::string::npos);
    const Json line = Json::parse(text, nullptr, false);
    ASSERT_TRUE(line.is_object()) << i;
    ASSERT_TRUE(line["msg"].is_string());
  }
}

}  // namespace
}  // namespace barrel_p2p
