// Reloading the configuration of a running `serve` (SIGHUP, `systemctl reload`): the file is read
// again and checked whole (runtime::CheckConfig); an invalid one is refused with every error
// logged and the running configuration kept; a valid one is applied by Pipeline::Reload between
// dispatch rounds. Sections that need a restart keep their running values, and each one that
// changed is logged as such.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runtime/pipeline.h"

namespace ecompipe::runtime {

// The top-level sections a reload does not apply (the bucket, the stores, the S3 endpoint, the
// event envelope, retry and the log are opened or read once, at start). The api section is
// applied in part (its tokens; ApiService::Reload).
const std::vector<std::string>& ReloadRestartSections();

// Which of `sections` differ between two configuration texts, compared as YAML values: comments,
// flow or block style and key order do not count, and a section left out, null or `{}` are all
// the defaults. A text that does not parse differs in every section.
std::vector<std::string> ChangedSections(const std::string& before, const std::string& after,
                                         const std::vector<std::string>& sections);

// What else applies a reloaded configuration (the API's tokens): called with it after the
// pipeline applied it; an error is logged as the reload's.
using ReloadListener = std::function<Status(const PipelineConfig&)>;

// Reads the pipeline's configuration file again and applies it (see above); logs what happened
// and tells the service manager RELOADING=1, then READY=1. Call from the dispatching thread.
void ReloadConfiguration(Pipeline& pipeline, const ReloadListener& also = {});

}  // namespace ecompipe::runtime
