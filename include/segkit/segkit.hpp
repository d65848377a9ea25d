#pragma once
/// @file
/// @brief Umbrella header for users: everything segkit offers. Library code includes the
/// component headers it needs instead.
#include "segkit/version.hpp"
#include "segkit/cluster/choose_k.hpp"
#include "segkit/cluster/gmm.hpp"
#include "segkit/cluster/kmeans.hpp"
#include "segkit/cluster/minibatch_kmeans.hpp"
#include "segkit/cluster/streaming_kmeans.hpp"
#include "segkit/core.hpp"
#include "segkit/distance/kernels.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/index/any_index.hpp"
#include "segkit/index/attributes.hpp"
#include "segkit/index/flat.hpp"
#include "segkit/index/hnsw.hpp"
#include "segkit/index/ivf.hpp"
