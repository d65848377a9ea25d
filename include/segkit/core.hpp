#pragma once
/// @file
/// @brief All of segkit/core.
#include "segkit/core/binary_format.hpp"
#include "segkit/core/checksum.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/csv.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/json.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/npy.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/parse.hpp"
#include "segkit/core/progress.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/sparse.hpp"
#include "segkit/core/types.hpp"
