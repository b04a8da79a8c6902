// `ecompipe validate [-c FILE] [--connect]`: checks a configuration without running anything.
// Prints every error at once, each as "FILE:LINE: error: ..." (runtime::CheckConfig: each section
// stops at its first error, the other sections are still read), then warnings about rules that
// can never match an event ecompipe emits (runtime/config_lint.h), then with --connect what each
// backend answered. Exit 0 when valid (warnings allowed), 1 when not or when a backend did not
// answer.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace ecompipe::cli {

// Adds the command; `action` is set when it was chosen. `config` is the global -c value.
CLI::App* AddValidateCommand(CLI::App& app, const std::string& config,
                             std::function<int()>& action);

}  // namespace ecompipe::cli
