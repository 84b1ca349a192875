# The version header include/barrel_p2p/version.hpp, generated from project(VERSION) so the
# version is written down once (the top-level CMakeLists.txt). It lands in
# <build>/generated-include/barrel_p2p/ and is installed beside the other public headers;
# barrel_runtime puts that folder on its PUBLIC include path.
set(BARREL_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/generated-include)
configure_file(${CMAKE_CURRENT_LIST_DIR}/version.hpp.in
               ${BARREL_GENERATED_INCLUDE_DIR}/barrel_p2p/version.hpp @ONLY)
