# The shipped library for embedders: libcallroot.so (soname libcallroot.so.0)
# made of the objects of models/, ingest/, rules/, engine/, runtime/ and connectors/, its
# headers under include/callroot/, a CMake package exporting callroot::callroot
# and a pkg-config file. The command goes to bin/, the default rule pack to
# share/callroot/rules. docs/embedding.md says which headers are stable.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CALLROOT_SHIPPED models ingest rules engine runtime connectors)

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
  PRIVATE nlohmann_json::nlohmann_json Eigen3::Eigen ZLIB::ZLIB PkgConfig::PCAP PkgConfig::SODIUM
          prometheus-cpp::core civetweb::civetweb-cpp PkgConfig::SYSTEMD PkgConfig::NATS CURL::libcurl)
add_library(callroot::callroot ALIAS callroot_shared)

# Two components, two Debian packages: `callroot` (the command, the library
# it and embedders load, the rule pack, man page, completion) and
# `libcallroot-dev` (headers, the link name, the CMake and pkg-config files).
install(TARGETS callroot_shared EXPORT callrootTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT callroot NAMELINK_COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/callroot)
foreach(folder ${CALLROOT_SHIPPED})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/callroot/${folder}
          COMPONENT dev
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(TARGETS callroot RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT callroot)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/rules/ DESTINATION ${CMAKE_INSTALL_DATADIR}/callroot/rules
        COMPONENT callroot PATTERN tests EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/tools/callroot-completion.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME callroot COMPONENT callroot)

# The man page, from the command's own --help (help2man), every subcommand included.
find_program(CALLROOT_HELP2MAN help2man)
if(CALLROOT_HELP2MAN)
  set(CALLROOT_MAN ${PROJECT_BINARY_DIR}/callroot.1)
  add_custom_command(OUTPUT ${CALLROOT_MAN}.gz
    COMMAND ${PROJECT_SOURCE_DIR}/tools/man-sections.sh $<TARGET_FILE:callroot> > ${PROJECT_BINARY_DIR}/callroot.h2m
    COMMAND ${CALLROOT_HELP2MAN} --no-info --section 1
            --name "why was that Teams or Zoom call bad: root cause from network telemetry"
            --include ${PROJECT_BINARY_DIR}/callroot.h2m --output ${CALLROOT_MAN} $<TARGET_FILE:callroot>
    COMMAND gzip -9nf ${CALLROOT_MAN}
    DEPENDS callroot ${PROJECT_SOURCE_DIR}/tools/man-sections.sh
    VERBATIM)
  add_custom_target(callroot_man ALL DEPENDS ${CALLROOT_MAN}.gz)
  install(FILES ${CALLROOT_MAN}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT callroot)
else()
  message(STATUS "help2man not found: no man page (tools/install-deps.sh installs it)")
endif()

# The daemon under systemd (packaging/README.md, docs/operations.md).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/callroot.service DESTINATION lib/systemd/system COMPONENT callroot)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/run.json DESTINATION ${CMAKE_INSTALL_DATADIR}/callroot COMPONENT callroot)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/capture.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT callroot)
install(FILES ${PROJECT_SOURCE_DIR}/docs/operations.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT callroot)

set(CALLROOT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/callroot)
install(EXPORT callrootTargets NAMESPACE callroot:: DESTINATION ${CALLROOT_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/callrootConfig.cmake.in
  ${PROJECT_BINARY_DIR}/callrootConfig.cmake INSTALL_DESTINATION ${CALLROOT_CMAKE_DIR})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/callrootConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/callrootConfig.cmake ${PROJECT_BINARY_DIR}/callrootConfigVersion.cmake
        DESTINATION ${CALLROOT_CMAKE_DIR} COMPONENT dev)

# Relative to the .pc file itself, so `cmake --install --prefix` anywhere works.
file(RELATIVE_PATH CALLROOT_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/callroot.pc.in ${PROJECT_BINARY_DIR}/callroot.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/callroot.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# Debian packages: `cpack -G DEB` in the build folder (tools/check-package.sh).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME callroot)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "callroot maintainers <callroot@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "root cause of poor Teams and Zoom calls from Wi-Fi, switch and WAN telemetry")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL callroot dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_CALLROOT_PACKAGE_NAME callroot)
set(CPACK_DEBIAN_CALLROOT_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_CALLROOT_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/postinst)
set(CPACK_COMPONENT_CALLROOT_DESCRIPTION
    "Correlates call quality (Graph callRecords, Zoom QoS, RTP) with network telemetry and blames the client, access point, switch, WAN link or remote side: the command and its library.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libcallroot-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "callroot (= ${PROJECT_VERSION}), libspdlog-dev, cppzmq-dev, libzmq3-dev, libsimdjson-dev, libboost-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION "callroot's headers, CMake package and pkg-config file, for embedding the engine.")
include(CPack)
