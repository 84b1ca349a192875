// barrel_p2p::version(): the version compiled into the library (include/barrel_p2p/version.hpp).
#include "barrel_p2p/version.hpp"

namespace barrel_p2p {

std::string_view version() noexcept { return BARREL_P2P_VERSION; }

}  // namespace barrel_p2p
