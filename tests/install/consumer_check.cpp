// Built by scripts/check-install.sh against barrel_p2p::barrel_p2p as a program outside this
// repository would build it (installed package, pkg-config, add_subdirectory). It fails to
// compile when the public target leaks the library's internals, and exits 1 when the headers
// and the linked library disagree on the version.
#include <cstdio>
#include <string_view>

#include <barrel_p2p/node.hpp>
#include <barrel_p2p/version.hpp>

// No src/ folder on the include path: only include/barrel_p2p is public.
#if __has_include("runtime/key_files.hpp") ||                       \
                  __has_include("core/bytes.hpp") ||                \
                                __has_include("node/engine.hpp") || \
                                              __has_include("transport/endpoint.hpp")
#error "an internal header of barrel_p2p is on the consumer's include path"
#endif
// No compile definitions of the library's own dependencies (spdlog's are meant for its users).
#if defined(SPDLOG_COMPILED_LIB) || defined(SPDLOG_SHARED_LIB) || defined(SPDLOG_FMT_EXTERNAL)
#error "spdlog's compile definitions reached the consumer"
#endif

static_assert(BARREL_P2P_VERSION_NUMBER == BARREL_P2P_VERSION_MAJOR * 10000 +
                                               BARREL_P2P_VERSION_MINOR * 100 +
                                               BARREL_P2P_VERSION_PATCH);

int main() {
  // Links the node code (Config, Node::start), not only the version function.
  barrel_p2p::Config config;
  config.node_name = "consumer";
  const std::string_view linked = barrel_p2p::version();
  std::printf("headers %s, library %.*s, default listen %s\n", BARREL_P2P_VERSION,
              static_cast<int>(linked.size()), linked.data(), config.listen_address.c_str());
  return linked == BARREL_P2P_VERSION ? 0 : 1;
}
