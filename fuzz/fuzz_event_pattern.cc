// The EventBridge pattern parser and matcher: the input is a pattern, a NUL byte, and an event
// (both JSON text). A pattern must parse or be refused with a placed kInvalidArgument; a parsed
// pattern is matched against the event, its own source, and an event that is not an object,
// and a copy of it must give the same answer.
#include <cstdint>
#include <string>

#include "common/json.h"
#include "events/event_pattern.h"
#include "fuzz_util.h"

using ecompipe::Json;
using ecompipe::StatusCode;
using ecompipe::events::EventPattern;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto [pattern_text, event_text] = ecompipe::fuzz::SplitAt(text, '\0');
  auto pattern = EventPattern::Parse(pattern_text);
  if (!pattern.ok()) {
    FUZZ_CHECK(pattern.status().code() == StatusCode::kInvalidArgument,
               "a pattern refused with another code: " + pattern.status().ToString());
    return 0;
  }
  auto event = ecompipe::ParseJson(event_text);
  const bool matches = event.ok() && pattern->Matches(*event);
  const EventPattern copy = *pattern;
  FUZZ_CHECK(!event.ok() || copy.Matches(*event) == matches, "a copy answers differently");
  (void)pattern->Matches(pattern->source());
  (void)pattern->Matches(Json(42));
  (void)pattern->Matches(Json::array({pattern->source()}));
  return 0;
}
