// The one way mxlab includes ldns: ldns 1.8.3's common.h defines bool/true/false
// as macros in C++ unless <stdbool.h> came first. Include this only from .cpp files.
#pragma once

#include <stdbool.h>

#include <ldns/ldns.h>
