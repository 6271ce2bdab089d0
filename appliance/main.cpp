// Entry point of the mxlab binary: hands the command line to the CLI.
#include "appliance/cli.hpp"

int main(int argc, char** argv) { return mxlab::appliance::run_cli(argc, argv); }
