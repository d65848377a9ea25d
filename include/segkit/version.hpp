#pragma once
/// @file
/// @brief segkit's version.
#define SEGKIT_VERSION_MAJOR 0
#define SEGKIT_VERSION_MINOR 1
#define SEGKIT_VERSION_PATCH 0
/// Version string, "major.minor.patch".
#define SEGKIT_VERSION_STRING "0.1.0"
