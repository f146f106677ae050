// The int8 product without VNNI (int8.c's 16-bit multiply-add kernel) alone, on one core, at
// all-MiniLM-L6-v2's four product shapes for a block of rows (one core's share of a batch of 32 SST-2
// sentences by default): best of 50 repetitions, GOP/s counted as 2·m·n·k, and a hash of the int32 sums,
// which are exact, so any correct kernel change must keep it. Not part of the package; docs/benchmarks.md
// (issue 26) quotes it.
//
//   clang -O3 -ISources/CKernels -ISources/CKernels/include scripts/bench/int8_gemm.c \
//       Sources/CKernels/int8.c -o /tmp/int8_gemm && /tmp/int8_gemm 400
//
// For the kernel at an earlier commit, compile `git show COMMIT:Sources/CKernels/int8.c` instead.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "CKernels.h"
#include "harness.h"

static uint64_t seed = 88172645463325252ull;

static uint64_t next(void) {   // xorshift64
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

int main(int argc, char **argv) {
    size_t m = argc > 1 ? (size_t)atoi(argv[1]) : 400;
    // (n, k): the fused query/key/value product, attention output, intermediate, output.
    const size_t shapes[4][2] = {{1152, 384}, {384, 384}, {1536, 384}, {384, 1536}};
    const char *names[4] = {"qkv", "attention-output", "intermediate", "output"};
    double total_ops = 0, total_seconds = 0;
    for (int s = 0; s < 4; s++) {
        size_t n = shapes[s][0], k = shapes[s][1];
        uint8_t *a = malloc(m * k);
        int8_t *w = malloc(n * k);
        int16_t *packed = malloc(bertkit_madd16_packed_count(n, k) * sizeof(int16_t));
        int32_t *c = malloc(m * n * sizeof(int32_t));
        for (size_t i = 0; i < m * k; i++) a[i] = (uint8_t)next();
        for (size_t i = 0; i < n * k; i++) w[i] = (int8_t)(next() % 255 - 127);
        bertkit_madd16_pack(w, n, k, packed);
        double best = 1e30;
        for (int r = 0; r < 50; r++) {
            double t0 = now();
            if (bertkit_gemm_u8s8_madd16(m, n, k, a, k, packed, c, n)) return 1;
            double t = now() - t0;
            if (t < best) best = t;
        }
        uint64_t hash = 1469598103934665603ull;
        for (size_t i = 0; i < m * n; i++) hash = (hash ^ (uint32_t)c[i]) * 1099511628211ull;
        double ops = 2.0 * m * n * k;
        printf("%-17s m %zu n %4zu k %4zu: %6.1f GOP/s  hash %016llx\n", names[s], m, n, k, ops / best * 1e-9,
               (unsigned long long)hash);
        total_ops += ops;
        total_seconds += best;
        free(a); free(w); free(packed); free(c);
    }
    printf("all four: %.1f GOP/s\n", total_ops / total_seconds * 1e-9);
    return 0;
}
