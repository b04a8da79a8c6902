#include "cli/cli.h"

namespace ecompipe::cli {

int Main(int, char**) { return 0; }

}  // namespace ecompipe::cli
