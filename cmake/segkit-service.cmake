# Dependencies of the session segmentation service (its example and its tests): Boost.Beast and
# Boost.Asio (headers, with Boost::headers), nlohmann-json, and cpp-httplib through pkg-config
# (Debian ships no CMake package for it) as the tests' HTTP client.
if(SEGKIT_BUILD_TESTS AND NOT TARGET httplib::httplib)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
  add_library(httplib::httplib ALIAS PkgConfig::HTTPLIB)
endif()
find_package(nlohmann_json 3 REQUIRED)

# The service's HTTP server (Boost.Beast), compiled into each program that serves, with that
# program's own flags (the sanitized tests included): an INTERFACE library carrying the source.
if(NOT TARGET segkit_session_http)
  add_library(segkit_session_http INTERFACE)
  target_sources(segkit_session_http INTERFACE ${PROJECT_SOURCE_DIR}/examples/session_segmentation/http_server.cpp)
  target_link_libraries(segkit_session_http INTERFACE Boost::headers Threads::Threads fmt::fmt nlohmann_json::nlohmann_json)
  # Under ThreadSanitizer g++ warns that Asio's std::atomic_thread_fence is not modelled (-Wtsan,
  # an error with -Werror); Asio's scheduler orders its queues with mutexes as well, which TSan sees.
  target_compile_options(segkit_session_http INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>)
endif()
