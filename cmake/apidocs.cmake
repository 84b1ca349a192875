# The API reference: `ninja -C build apidocs` runs Doxygen over the public headers
# (docs/api/Doxyfile.in) into <build>/apidocs/html/index.html. Only when doxygen is found (a
# Debian package, scripts/install-deps.sh); Doxygen's warnings are errors there, so the target
# fails on an undocumented public declaration. Not part of `all`: CI builds it explicitly.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "doxygen not found: no apidocs target")
  return()
endif()
set(BARREL_APIDOCS_OUTPUT ${PROJECT_BINARY_DIR}/apidocs)
configure_file(${PROJECT_SOURCE_DIR}/docs/api/Doxyfile.in ${BARREL_APIDOCS_OUTPUT}/Doxyfile @ONLY)
file(GLOB_RECURSE barrel_public_headers CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/include/barrel_p2p/*.hpp)
add_custom_command(
  OUTPUT ${BARREL_APIDOCS_OUTPUT}/html/index.html
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${BARREL_APIDOCS_OUTPUT}/html
  COMMAND ${DOXYGEN_EXECUTABLE} ${BARREL_APIDOCS_OUTPUT}/Doxyfile
  DEPENDS ${barrel_public_headers} ${BARREL_GENERATED_INCLUDE_DIR}/barrel_p2p/version.hpp
          ${PROJECT_SOURCE_DIR}/docs/api/mainpage.md ${BARREL_APIDOCS_OUTPUT}/Doxyfile
  COMMENT "API reference (Doxygen, warnings are errors): ${BARREL_APIDOCS_OUTPUT}/html/index.html"
  VERBATIM)
add_custom_target(apidocs DEPENDS ${BARREL_APIDOCS_OUTPUT}/html/index.html)
