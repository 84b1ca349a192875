#include "runtime/pin_files.hpp"

#include <algorithm>
#include <system_error>

#include "core/bytes.hpp"
#include "runtime/secure_file.hpp"

namespace barrel_p2p::runtime {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPinSuffix = ".pub";
constexpr std::size_t kPinKeySize = 32;

bool is_name_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

/// `text` quoted for a message. Names may be hostile (a node name can come from a peer's HELLO,
/// a file name from anyone who can write the directory): show at most `shown_max` bytes, and
/// bytes outside [A-Za-z0-9._-] as \xNN, so they cannot inject control characters or fake
/// lines into logs.
std::string quoted(std::string_view text, std::size_t shown_max) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text.substr(0, shown_max)) {
    if (is_name_character(c)) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += {'\\', 'x', kHexDigits[byte >> 4], kHexDigits[byte & 0xf]};
    }
  }
  return out + (text.size() > shown_max ? "...\"" : "\"");
}

Result<void> check_pin_name(std::string_view name) {
  if (is_valid_pin_name(name)) return {};
  return fail(Errc::invalid_argument,
              "invalid node name " + quoted(name, kPinNameSizeMax) +
                  R"(: use 1-64 characters from A-Z a-z 0-9 . _ - (not "." or ".."))");
}

fs::path pin_path(const fs::path& data_dir, std::string_view name) {
  return trusted_directory(data_dir) / (std::string(name) + std::string(kPinSuffix));
}

/// Loads one directory entry into `out`, or explains in `warnings` why it was skipped.
void load_entry(const fs::directory_entry& entry, LoadedPins& out) {
  const std::string file_name = entry.path().filename().string();
  const std::string shown =
      entry.path().parent_path().string() + "/" + quoted(file_name, file_name.size());
  const bool has_suffix = file_name.size() > kPinSuffix.size() && file_name.ends_with(kPinSuffix);
  const std::string name =
      has_suffix ? file_name.substr(0, file_name.size() - kPinSuffix.size()) : std::string();
  if (!has_suffix || !is_valid_pin_name(name)) {
    out.warnings.push_back("skipped " + shown + ": not named <node>.pub with a valid node name");
    return;
  }
  // The name is valid, so the path in read errors cannot carry control characters.
  auto bytes = read_file_exact(entry.path(), kPinKeySize);
  if (!bytes) {
    out.warnings.push_back("skipped " + bytes.error().message);
    return;
  }
  PinEntry pin{name, {}};
  std::copy(bytes->begin(), bytes->end(), pin.second.begin());
  out.pins.push_back(std::move(pin));
}

}  // namespace

fs::path trusted_directory(const fs::path& data_dir) { return data_dir / "keys" / "trusted"; }

bool is_valid_pin_name(std::string_view name) {
  if (name.empty() || name.size() > kPinNameSizeMax) return false;
  if (name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), is_name_character);
}

Result<LoadedPins> load_pins(const fs::path& data_dir) {
  const fs::path directory = trusted_directory(data_dir);
  LoadedPins out;
  std::error_code error;
  fs::directory_iterator it(directory, error);
  if (error == std::errc::no_such_file_or_directory) return out;
  std::size_t entries = 0;
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    if (++entries > kPinCountMax) {
      return fail(Errc::limit_reached, directory.string() + " holds more than " +
                                           std::to_string(kPinCountMax) + " entries");
    }
    load_entry(*it, out);
  }
  if (error) {
    return fail(Errc::io, "cannot list " + directory.string() + ": " + error.message());
  }
  std::sort(out.pins.begin(), out.pins.end());
  std::sort(out.warnings.begin(), out.warnings.end());
  return out;
}

Result<void> save_pin(const fs::path& data_dir, std::string_view name,
                      const std::array<std::uint8_t, 32>& key) {
  if (auto valid = check_pin_name(name); !valid) return valid;
  return write_file_atomic(pin_path(data_dir, name), core::ByteView(key.data(), key.size()),
                           kPublicFileMode);
}

Result<void> remove_pin(const fs::path& data_dir, std::string_view name) {
  if (auto valid = check_pin_name(name); !valid) return valid;
  auto removed = remove_file(pin_path(data_dir, name));
  if (!removed && removed.error().code == Errc::not_found) {
    return fail(Errc::not_found, "no pin for " + std::string(name));
  }
  return removed;
}

}  // namespace barrel_p2p::runtime
