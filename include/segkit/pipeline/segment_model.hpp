#pragma once
/// @file
/// @brief segkit 0.x's name of the fitted default segmentation. Every segmentation now carries
/// its fitted model (segmentation::model, a segkit::pipeline::segmentation_model), which also
/// reads the files this type wrote (kind segkit.model.segment).

#include "segkit/pipeline/segment.hpp"
#include "segkit/pipeline/segmentation_model.hpp"

namespace segkit::pipeline {

/// The fitted default segmentation (segkit 0.x name): use segmentation_model; a segmentation's
/// model is `s.model` (segment_model::from(s) is gone).
using segment_model = segmentation_model;

}  // namespace segkit::pipeline
