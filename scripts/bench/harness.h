// What the standalone kernel harnesses in this folder share. Not part of the package.
#ifndef BERTKIT_BENCH_HARNESS_H
#define BERTKIT_BENCH_HARNESS_H

#include <time.h>

// The kernels ask which instruction set runs; these harnesses are for AVX2 CPUs.
int bertkit_internal_isa(void) { return 1; }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#endif
