// A job's specification as ecompipe.yaml spells it (`jobs[]`: columns, validations, lookups,
// derived, classification, output, and the engine's max_record_bytes, threads, chunk_bytes);
// docs/configuration.md, "The job".
#pragma once

#include <string>
#include <vector>

#include "common/config_reader.h"
#include "common/status.h"
#include "transform/job_spec.h"

namespace ecompipe::transform {

// The keys of a job's mapping that ParseJobSpec reads.
const std::vector<std::string>& JobSpecKeys();

// Reads the job specification keys of the job's mapping `r` into `spec`, which starts as the
// reference job: each list given replaces the reference's. The result is checked
// (CheckJobSpec); an error names the line of the place it concerns, or says which part of the
// reference job a given part broke.
Status ParseJobSpec(const ConfigReader& r, JobSpec& spec);

}  // namespace ecompipe::transform
