#include "common/progress.h"

#include <atomic>

namespace ecompipe::progress {
namespace {

std::atomic<Sink*> g_sink{nullptr};

}  // namespace

Sink* Install(Sink* sink) { return g_sink.exchange(sink); }

void Add(uint64_t bytes) {
  if (Sink* s = g_sink.load(std::memory_order_relaxed)) s->Add(bytes);
}

Task::Task(std::string_view what, uint64_t total_bytes) : sink_(g_sink.load()) {
  if (sink_) sink_->Begin(what, total_bytes);
}

Task::~Task() {
  if (sink_) sink_->End();
}

}  // namespace ecompipe::progress
