// The `ecompipe` command: parses arguments and runs a subcommand. Returns the exit code.
#pragma once

namespace ecompipe::cli {

int Main(int argc, char** argv);

}  // namespace ecompipe::cli
