#include "runtime/endpoint_files.hpp"

#include <netdb.h>
#include <spdlog/spdlog.h>

#include <fstream>

#include "runtime/secure_file.hpp"

namespace barrel_p2p::runtime {

namespace {
constexpr std::string_view kEndpointSuffix = ".endpoint";
constexpr std::size_t kMaxAddressSize = 255;

std::filesystem::path endpoint_path(const std::filesystem::path& dir, const std::string& node) {
  return dir / (node + std::string(kEndpointSuffix));
}
}  // namespace

void write_endpoint_file(const std::filesystem::path& dir, const std::string& node,
                         const std::string& address, spdlog::logger& log) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  const std::string text = address + "\n";
  const auto path = endpoint_path(dir, node);
  if (auto written = write_file_atomic(path, core::as_bytes(text), 0644); !written) {
    log.warn("could not write endpoint file {}: {}", path.string(), written.error().message);
  }
}

void remove_endpoint_file(const std::filesystem::path& dir, const std::string& node) {
  std::error_code ignored;
  std::filesystem::remove(endpoint_path(dir, node), ignored);
}

Result<std::string> read_endpoint_file(const std::filesystem::path& dir, const std::string& node) {
  std::ifstream file(endpoint_path(dir, node));
  std::string address;
  if (file && std::getline(file, address) && !address.empty() &&
      address.size() <= kMaxAddressSize) {
    return address;
  }
  return fail(Errc::unreachable, "no address known for node " + node +
                                     " (add it to node_addresses, the endpoint directory or "
                                     "with add_address)");
}

Result<core::SocketAddress> resolve_host(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return fail(Errc::invalid_argument, "not host:port: " + address);
  std::string host = address.substr(0, colon);
  std::string port = address.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return fail(Errc::unreachable, "cannot resolve " + address + ": " + gai_strerror(rc));
  }
  auto result = core::SocketAddress::from_sockaddr(found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return result;
}

}  // namespace barrel_p2p::runtime
