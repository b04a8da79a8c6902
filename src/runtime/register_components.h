// The one list of the pipeline's pluggable components (register_components.cc): every object
// store, S3 event source, warehouse, subscriber and rule target type, each registered into its
// kind's factory by the component's own Register…() function.
#pragma once

namespace ecompipe::runtime {

// Registers every component type. Idempotent and thread-safe; ParseConfig() and
// Pipeline::Open() call it, so callers need not.
void RegisterComponents();

}  // namespace ecompipe::runtime
