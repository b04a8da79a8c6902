#include "transform/records.h"

namespace ecompipe::transform {

const std::string& Classify(const JobSpec& spec, Money total) {
  for (const ClassBin& bin : spec.bins) {
    if (!bin.upper || total <= *bin.upper) return bin.label;
  }
  // Only reachable when the configuration's last bin has a bound; validating the
  // configuration is the caller's job, so this is a label-less row, not a crash.
  static const std::string kNoLabel;
  return kNoLabel;
}

}  // namespace ecompipe::transform
