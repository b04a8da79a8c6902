#include "cli/cli.h"

int main(int argc, char** argv) { return ecompipe::cli::Main(argc, argv); }
