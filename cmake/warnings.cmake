# Project-wide compile flags: warnings (as errors in CI), sanitizers, fuzzing.
set(BARREL_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 at -O3 reports false -Wrestrict hits inside std::string (GCC bug 105329).
  list(APPEND BARREL_WARNINGS -Wno-restrict)
endif()
if(BARREL_WERROR)
  list(APPEND BARREL_WARNINGS -Werror)
endif()

# Applied to every project target through this function (not to third-party code).
function(barrel_target_defaults target)
  target_compile_options(${target} PRIVATE ${BARREL_WARNINGS})
endfunction()

if(BARREL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
if(BARREL_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
if(BARREL_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
