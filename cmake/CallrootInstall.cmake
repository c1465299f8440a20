# The shipped library for embedders: libcallroot.so (soname libcallroot.so.0)
# made of the objects of models/, ingest/, rules/, engine/ and runtime/, its
# headers under include/callroot/, a CMake package exporting callroot::callroot
# and a pkg-config file. The command goes to bin/, the default rule pack to
# share/callroot/rules. docs/embedding.md says which headers are stable.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CALLROOT_SHIPPED models ingest rules engine runtime)

add_library(callroot_shared SHARED)
foreach(folder ${CALLROOT_SHIPPED})
  target_sources(callroot_shared PRIVATE $<TARGET_OBJECTS:callroot_${folder}>)
endforeach()
set_target_properties(callroot_shared PROPERTIES
  OUTPUT_NAME callroot
  EXPORT_NAME callroot
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR})
target_include_directories(callroot_shared PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/callroot>)
target_compile_features(callroot_shared PUBLIC cxx_std_20)
# Public: what the installed headers include. Private: what only the objects use.
target_link_libraries(callroot_shared
  PUBLIC Threads::Threads Boost::boost simdjson::simdjson spdlog::spdlog cppzmq
  PRIVATE nlohmann_json::nlohmann_json Eigen3::Eigen ZLIB::ZLIB PkgConfig::PCAP PkgConfig::SODIUM)
add_library(callroot::callroot ALIAS callroot_shared)

install(TARGETS callroot_shared EXPORT callrootTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/callroot)
foreach(folder ${CALLROOT_SHIPPED})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/callroot/${folder}
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(TARGETS callroot RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/rules/ DESTINATION ${CMAKE_INSTALL_DATADIR}/callroot/rules
        PATTERN tests EXCLUDE)

set(CALLROOT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/callroot)
install(EXPORT callrootTargets NAMESPACE callroot:: DESTINATION ${CALLROOT_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/callrootConfig.cmake.in
  ${PROJECT_BINARY_DIR}/callrootConfig.cmake INSTALL_DESTINATION ${CALLROOT_CMAKE_DIR})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/callrootConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/callrootConfig.cmake ${PROJECT_BINARY_DIR}/callrootConfigVersion.cmake
        DESTINATION ${CALLROOT_CMAKE_DIR})

# Relative to the .pc file itself, so `cmake --install --prefix` anywhere works.
file(RELATIVE_PATH CALLROOT_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/callroot.pc.in ${PROJECT_BINARY_DIR}/callroot.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/callroot.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
