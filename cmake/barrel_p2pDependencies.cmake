# The pkg-config dependencies of barrel_p2p::barrel_p2p. The library is static, so whoever links
# it links what it uses: ngtcp2 with its GnuTLS crypto helper, GnuTLS and libsodium, found here
# through pkg-config (Debian ships no CMake files for them), plus Threads and spdlog, which the
# includer finds first. The imported targets get names of this package's own,
# PkgConfig::barrel_p2p_<name>, so a consumer's own pkg_check_modules() prefixes cannot collide
# with them.
#
# Included by the build (cmake/install.cmake), whose exported target links these names, and by
# the installed barrel_p2pConfig.cmake. Requires PkgConfig. Lists what it could not find in
# barrel_p2p_MISSING_MODULES (empty when all were found).
set(_barrel_p2p_modules_ngtcp2 libngtcp2 libngtcp2_crypto_gnutls)
set(_barrel_p2p_modules_gnutls gnutls)
set(_barrel_p2p_modules_sodium libsodium)
set(barrel_p2p_MISSING_MODULES "")
foreach(_barrel_p2p_dependency IN ITEMS ngtcp2 gnutls sodium)
  if(NOT TARGET PkgConfig::barrel_p2p_${_barrel_p2p_dependency})
    pkg_check_modules(barrel_p2p_${_barrel_p2p_dependency} QUIET IMPORTED_TARGET
                      ${_barrel_p2p_modules_${_barrel_p2p_dependency}})
    if(NOT barrel_p2p_${_barrel_p2p_dependency}_FOUND)
      list(APPEND barrel_p2p_MISSING_MODULES ${_barrel_p2p_modules_${_barrel_p2p_dependency}})
    endif()
  endif()
endforeach()
unset(_barrel_p2p_dependency)
