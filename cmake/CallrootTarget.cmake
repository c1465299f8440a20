# Per-target settings, applied by function rather than through global flags
# (the spdlog model): warnings everywhere, sanitizers when asked.
function(callroot_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(CALLROOT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
  if(CALLROOT_TSAN)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=thread)
  endif()
endfunction()

# A library of one folder, with its callroot:: alias.
function(callroot_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(callroot_${name} STATIC ${ARG_SOURCES})
  add_library(callroot::${name} ALIAS callroot_${name})
  target_include_directories(callroot_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(callroot_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  callroot_target_defaults(callroot_${name})
endfunction()
