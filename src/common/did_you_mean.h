// Suggestions for mistyped names ("unknown command 'rnus' (did you mean 'runs'?)"): the
// Levenshtein distance and the nearest of a list of candidates.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ecompipe {

// Insertions, deletions and substitutions that turn `a` into `b` (bytes, case-sensitive).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, when it is close enough to be what the user meant: at
// most `max_distance` edits away, or `word` is a prefix of it ("stat" -> "status"); the
// first such candidate on a tie. Empty when none is.
std::string Closest(std::string_view word, const std::vector<std::string>& candidates,
                    size_t max_distance = 2);

}  // namespace ecompipe
