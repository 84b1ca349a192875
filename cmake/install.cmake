# Packaging: the installable library barrel_p2p::barrel_p2p, install rules, the CMake package
# files and barrel_p2p.pc (docs/reference/packaging.md,
# docs/internals/decisions/0010-one-installed-archive.md). Included by the top-level
# CMakeLists.txt after the layers, tools and examples exist (not in the fuzz build).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# barrel_static_closure(<out> <target>): <target> and every project (not imported) static
# library it links, directly or through another, in link order.
function(barrel_static_closure out target)
  set(seen ${${out}})
  get_target_property(aliased ${target} ALIASED_TARGET)
  if(aliased)
    set(target ${aliased})
  endif()
  get_target_property(type ${target} TYPE)
  get_target_property(imported ${target} IMPORTED)
  if(imported OR NOT type STREQUAL "STATIC_LIBRARY" OR target IN_LIST seen)
    return()
  endif()
  list(APPEND seen ${target})
  get_target_property(libraries ${target} LINK_LIBRARIES)
  foreach(library IN LISTS libraries)
    if(TARGET ${library})
      barrel_static_closure(seen ${library})
    endif()
  endforeach()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# One archive holding barrel_runtime and every layer under it, so the installed package is a
# single libbarrel_p2p.a and never exposes the layers as targets. Its objects are the layers'
# own (no second compile); a new layer linked by barrel_runtime joins it by itself.
set(BARREL_PACKAGED_LAYERS "")
barrel_static_closure(BARREL_PACKAGED_LAYERS barrel_runtime)
set(BARREL_PACKAGED_OBJECTS "")
foreach(layer IN LISTS BARREL_PACKAGED_LAYERS)
  list(APPEND BARREL_PACKAGED_OBJECTS $<TARGET_OBJECTS:${layer}>)
endforeach()
add_library(barrel_p2p STATIC ${BARREL_PACKAGED_OBJECTS})
add_library(barrel_p2p::barrel_p2p ALIAS barrel_p2p)
set_target_properties(barrel_p2p PROPERTIES LINKER_LANGUAGE CXX OUTPUT_NAME barrel_p2p
                      EXPORT_NAME barrel_p2p)
# The interface: the public headers and, link-only (PRIVATE of a static library), what the
# layers link. No src/ folder, no compile definitions. The names of the pkg-config targets are
# the package's own (cmake/barrel_p2pDependencies.cmake), as in the installed config.
include(${CMAKE_CURRENT_LIST_DIR}/barrel_p2pDependencies.cmake)
target_include_directories(barrel_p2p INTERFACE
                           $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                           $<BUILD_INTERFACE:${BARREL_GENERATED_INCLUDE_DIR}>
                           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(barrel_p2p PUBLIC Threads::Threads
                      PRIVATE PkgConfig::barrel_p2p_ngtcp2 PkgConfig::barrel_p2p_gnutls
                      PkgConfig::barrel_p2p_sodium spdlog::spdlog)
target_compile_features(barrel_p2p INTERFACE cxx_std_20)

install(TARGETS barrel_p2p EXPORT barrel_p2pTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/barrel_p2p
        ${BARREL_GENERATED_INCLUDE_DIR}/barrel_p2p
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
install(TARGETS barrel-p2p RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# share/doc/barrel_p2p mirrors the repository (README.md, docs/, examples/), so the links
# between the documents resolve there too.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        ${PROJECT_SOURCE_DIR}/SECURITY.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The examples' sources (not their in-tree CMakeLists.txt, which needs the project's build).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
        FILES_MATCHING PATTERN "*.cpp" PATTERN "*.toml" PATTERN "*.md" PATTERN "*.service")

# find_package(barrel_p2p): before 1.0 a minor release may break (docs/versioning.md), so a
# request for 0.1 accepts 0.1.x only; from 1.0 on, the same major version.
set(BARREL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/barrel_p2p)
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(BARREL_VERSION_COMPATIBILITY SameMinorVersion)
else()
  set(BARREL_VERSION_COMPATIBILITY SameMajorVersion)
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/barrel_p2pConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/barrel_p2pConfig.cmake
                              INSTALL_DESTINATION ${BARREL_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/barrel_p2pConfigVersion.cmake
                                 COMPATIBILITY ${BARREL_VERSION_COMPATIBILITY})
install(EXPORT barrel_p2pTargets NAMESPACE barrel_p2p:: DESTINATION ${BARREL_CMAKE_DIR})
install(FILES ${PROJECT_BINARY_DIR}/barrel_p2pConfig.cmake
        ${PROJECT_BINARY_DIR}/barrel_p2pConfigVersion.cmake
        ${CMAKE_CURRENT_LIST_DIR}/barrel_p2pDependencies.cmake DESTINATION ${BARREL_CMAKE_DIR})

# barrel_p2p.pc, relocatable: with relative install folders (the default) its paths start from
# the .pc file's own folder, so the file is right for whatever prefix `cmake --install --prefix`
# picks.
set(BARREL_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${BARREL_PC_DIR}")
  set(BARREL_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  string(REGEX REPLACE "[^/]+" ".." BARREL_PC_PREFIX "${BARREL_PC_DIR}")
  set(BARREL_PC_PREFIX "\${pcfiledir}/${BARREL_PC_PREFIX}")
endif()
foreach(kind LIBDIR INCLUDEDIR)
  set(BARREL_PC_${kind} "${CMAKE_INSTALL_${kind}}")
  if(NOT IS_ABSOLUTE "${BARREL_PC_${kind}}")
    set(BARREL_PC_${kind} "\${prefix}/${BARREL_PC_${kind}}")
  endif()
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/barrel_p2p.pc.in ${PROJECT_BINARY_DIR}/barrel_p2p.pc
               @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/barrel_p2p.pc DESTINATION ${BARREL_PC_DIR})
