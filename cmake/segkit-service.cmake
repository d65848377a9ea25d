# Dependencies of the session segmentation service (its example and its tests): cpp-httplib
# through pkg-config (Debian ships no CMake package for it) and nlohmann-json.
if(NOT TARGET httplib::httplib)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
  add_library(httplib::httplib ALIAS PkgConfig::HTTPLIB)
endif()
find_package(nlohmann_json 3 REQUIRED)
