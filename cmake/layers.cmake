# Layered include paths (docs/internals/decisions/0007-checked-layering.md).
#
# No target puts src/ on its include path. Instead each layer target exposes its own folder
# through a directory in the build tree that holds one symlink:
#   <build>/layer-include/<target>/<folder>  ->  <source>/src/<folder>
# so `#include "core/bytes.hpp"` resolves only in targets that link barrel_core (directly or
# through a PUBLIC dependency), and "proto/plumtree/..." does not resolve inside
# barrel_proto_hyparview. include/ (the public headers) is exposed by barrel_core to all.
# scripts/check-layers.sh checks the same direction per #include line, including what CMake
# cannot see (public headers, tools/, examples/, sim/).

# barrel_folder_headers(<target> <name> <source_dir> <PUBLIC|PRIVATE|INTERFACE>)
#   Exposes <source_dir> as "<name>/..." to <target> (and, unless PRIVATE, to its dependents)
#   through <build>/layer-include/<target>/<name> -> <source_dir>. <name> may be nested.
function(barrel_folder_headers target name source visibility)
  set(root ${PROJECT_BINARY_DIR}/layer-include/${target})
  set(link ${root}/${name})
  get_filename_component(parent ${link} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  file(REMOVE ${link})  # a symlink from an older source path would point elsewhere
  file(CREATE_LINK ${source} ${link} SYMBOLIC)
  target_include_directories(${target} ${visibility} ${root})
endfunction()

# barrel_layer_headers(<target> <folder> [PUBLIC|PRIVATE|INTERFACE])
#   Exposes src/<folder> as "<folder>/..." to <target> (and, for PUBLIC, to its dependents).
#   <folder> may be nested ("proto/hyparview"). Default visibility: PUBLIC.
function(barrel_layer_headers target folder)
  set(visibility PUBLIC)
  if(ARGC GREATER 2)
    set(visibility ${ARGV2})
  endif()
  barrel_folder_headers(${target} ${folder} ${PROJECT_SOURCE_DIR}/src/${folder} ${visibility})
endfunction()
