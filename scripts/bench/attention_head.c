// The AVX2 fused attention kernel alone, on one core: 32 sequences × 12 heads of 32 (all-MiniLM-L6-v2's
// shapes), a QKV row of 3 × 384 floats, the last 5 keys masked; best of 20 repetitions, GFLOP/s counted as
// 4·L²·d per head (Q·Kᵀ and P·V), and a hash of the context vectors, which must not change with a kernel
// change that keeps the order of sums. Not part of the package; docs/benchmarks.md (issue 26) quotes it.
//
//   clang -O3 -ISources/CKernels -ISources/CKernels/include scripts/bench/attention_head.c \
//       Sources/CKernels/attention_avx2.c -lm -o /tmp/attention_head && /tmp/attention_head 128
//
// For the kernel at an earlier commit, compile `git show COMMIT:Sources/CKernels/attention_avx2.c` instead.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "isa.h"

int main(int argc, char **argv) {
    size_t length = argc > 1 ? (size_t)atoi(argv[1]) : 128, head_dim = 32, heads = 12, hidden = 384, ld = 3 * hidden;
    float *qkv = malloc(length * ld * sizeof(float)), *context = malloc(length * hidden * sizeof(float));
    float *mask = malloc(length * sizeof(float));
    srand(1);
    for (size_t i = 0; i < length * ld; i++) qkv[i] = (float)(rand() % 2000 - 1000) / 1000.0f;
    for (size_t i = 0; i < length; i++) mask[i] = i + 5 < length ? 0 : -1e9f;
    double best = 1e9;
    for (int repetition = 0; repetition < 20; repetition++) {
        double start = now();
        for (int sequence = 0; sequence < 32; sequence++)
            for (size_t h = 0; h < heads; h++)
                bertkit_attention_head_avx2(qkv + h * head_dim, qkv + hidden + h * head_dim, qkv + 2 * hidden + h * head_dim,
                                            ld, length, head_dim, 0.17677669f, mask, NULL, context + h * head_dim, hidden);
        double seconds = now() - start;
        if (seconds < best) best = seconds;
    }
    unsigned long long hash = 0;
    for (size_t i = 0; i < length * hidden; i++) {
        unsigned bits;
        memcpy(&bits, &context[i], sizeof bits);
        hash = hash * 31 + bits;
    }
    printf("length %zu: %.2f GFLOP/s on one core; context hash %llx\n", length,
           32.0 * heads * 4.0 * length * length * head_dim / best / 1e9, hash);
    return 0;
}
