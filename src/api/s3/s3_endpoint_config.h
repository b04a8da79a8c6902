// `s3_endpoint:` in ecompipe.yaml: where `ecompipe serve` serves the bucket over the S3 API,
// the access keys it accepts, and its connection limits (docs/configuration.md, "The S3
// endpoint").
#pragma once

#include "api/s3/s3_endpoint.h"
#include "common/config_reader.h"
#include "common/status.h"

namespace ecompipe::api::s3 {

// Reads `s3_endpoint` of `root`; absent leaves `out` disabled.
Status ParseS3EndpointConfig(const ConfigReader& root, S3EndpointConfig& out);

}  // namespace ecompipe::api::s3
