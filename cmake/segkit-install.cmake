include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(segkit_installed_targets segkit segkit_native)
if(TARGET segkit_images)
  list(APPEND segkit_installed_targets segkit_images)
endif()
if(TARGET segkit_mpi)
  list(APPEND segkit_installed_targets segkit_mpi)
endif()
install(TARGETS ${segkit_installed_targets} EXPORT segkitTargets)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/segkit" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
set(SEGKIT_CMAKE_DIR "${CMAKE_INSTALL_DATADIR}/cmake/segkit")
install(EXPORT segkitTargets NAMESPACE segkit:: DESTINATION "${SEGKIT_CMAKE_DIR}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/segkitConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/segkitConfig.cmake" INSTALL_DESTINATION "${SEGKIT_CMAKE_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/segkitConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/segkitConfig.cmake" "${PROJECT_BINARY_DIR}/segkitConfigVersion.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/segkit-dependencies.cmake" DESTINATION "${SEGKIT_CMAKE_DIR}")
