// `serve` for a bucket on an S3-compatible server: the configured event sources (SQS queue,
// webhook, ListObjectsV2 reconciliation) feed the pipeline instead of inotify.
#pragma once

#include <atomic>

#include "common/status.h"
#include "runtime/pipeline.h"

namespace ecompipe::runtime {

// Starts the event sources of `pipeline.config().storage.events`, lists the bucket once
// (objects that landed while ecompipe was down), then dispatches until `stop` is set. With
// no source configured, reconciliation runs every 60 s. Errors at start (a source that cannot
// start, the first listing refused) are returned; later ones are logged and retried.
// The caller has run Recover().
Status ServeS3Bucket(Pipeline& pipeline, const std::atomic<bool>& stop);

}  // namespace ecompipe::runtime
