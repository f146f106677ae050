// What the CPU is and what it can do, read from CPUID (not from a table of models), and the
// rate of fused multiply-adds it really reaches: the ceiling every product is measured against.
#include "CKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#include <immintrin.h>

static void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
    if (!__get_cpuid_count(leaf, sub, &r[0], &r[1], &r[2], &r[3])) r[0] = r[1] = r[2] = r[3] = 0;
}

static unsigned long long xgetbv0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

const char *bertkit_cpu_brand(void) {
    static char brand[49];
    unsigned r[4];
    cpuid(0x80000000u, 0, r);
    if (r[0] < 0x80000004u) return "unknown x86-64";
    for (unsigned i = 0; i < 3; i++) {
        cpuid(0x80000002u + i, 0, r);
        memcpy(brand + 16 * i, r, 16);
    }
    brand[48] = 0;
    char *start = brand;
    while (*start == ' ') start++;
    return start;
}

void bertkit_cpu_signature(int *family, int *model, int *stepping) {
    unsigned r[4];
    cpuid(1, 0, r);
    unsigned base_family = (r[0] >> 8) & 0xF, base_model = (r[0] >> 4) & 0xF;
    *family = (int)(base_family == 0xF ? base_family + ((r[0] >> 20) & 0xFF) : base_family);
    *model = (int)((base_family == 0x6 || base_family == 0xF) ? (((r[0] >> 16) & 0xF) << 4) + base_model : base_model);
    *stepping = (int)(r[0] & 0xF);
}

int bertkit_isa_limit(void) {
    static int limit = -2;
    int found = __atomic_load_n(&limit, __ATOMIC_RELAXED);
    if (found == -2) {
        const char *name = getenv("BERTKIT_ISA");
        found = !name || !*name ? -1
            : strcmp(name, "baseline") == 0 ? 0 : strcmp(name, "avx2") == 0 ? 1 : strcmp(name, "avx512") == 0 ? 2 : -3;
        __atomic_store_n(&limit, found, __ATOMIC_RELAXED);
    }
    return found;
}

// Whether a feature lies above the BERTKIT_ISA limit: AVX-512 and AMX above avx2 (and AVX-VNNI,
// which plain AVX2 CPUs lack too); AVX, AVX2, FMA and F16C above baseline.
static int above_limit(const char *name) {
    int limit = bertkit_isa_limit();
    if (limit < 0 || limit >= 2) return 0;
    int wide = strncmp(name, "avx512", 6) == 0 || strncmp(name, "amx", 3) == 0 || strcmp(name, "avx_vnni") == 0;
    if (limit == 1) return wide;
    return wide || strcmp(name, "avx") == 0 || strcmp(name, "avx2") == 0 || strcmp(name, "fma") == 0 || strcmp(name, "f16c") == 0;
}

const char *bertkit_cpu_features(void) {
    static char text[256];
    unsigned l1[4], l7[4], l71[4];
    cpuid(1, 0, l1);
    cpuid(7, 0, l7);
    cpuid(7, 1, l71);
    int osxsave = (l1[2] >> 27) & 1;
    unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    int ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xE6) == 0xE6, tiles = (xcr0 & 0x60000) == 0x60000;
    struct { const char *name; int on; } f[] = {
        {"sse4.2", (l1[2] >> 20) & 1},
        {"avx", ymm && ((l1[2] >> 28) & 1)},
        {"fma", ymm && ((l1[2] >> 12) & 1)},
        {"f16c", ymm && ((l1[2] >> 29) & 1)},
        {"avx2", ymm && ((l7[1] >> 5) & 1)},
        {"avx_vnni", ymm && ((l71[0] >> 4) & 1)},
        {"avx512f", zmm && ((l7[1] >> 16) & 1)},
        {"avx512bw", zmm && ((l7[1] >> 30) & 1)},
        {"avx512vl", zmm && ((l7[1] >> 31) & 1)},
        {"avx512_vnni", zmm && ((l7[2] >> 11) & 1)},
        {"avx512_bf16", zmm && ((l71[0] >> 5) & 1)},
        {"avx512_fp16", zmm && ((l7[3] >> 23) & 1)},
        {"amx_bf16", tiles && ((l7[3] >> 22) & 1)},
        {"amx_int8", tiles && ((l7[3] >> 25) & 1)},
    };
    text[0] = 0;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (!f[i].on || above_limit(f[i].name)) continue;
        if (text[0]) strcat(text, " ");
        strcat(text, f[i].name);
    }
    return text;
}

// Independent chains of fused multiply-adds hide the latency: 4 cycles × 2 units needs 8. The
// chains must stay in registers: 16 ymm registers hold 12 chains and the two operands, where 16
// chains would spill and measure the loads and stores instead (a Zen 3 core measured 60% of its
// FMA rate that way). AVX-512's 32 registers hold 16. Each iteration is CHAINS FMAs of `lanes` floats.
#define FMA_LOOP(vec, fma, set1, lanes, chains)                                                         \
    vec acc[chains];                                                                                    \
    for (int i = 0; i < chains; i++) acc[i] = set1(1.0f + i * 1e-3f);                                   \
    vec a = set1(0.999999f), b = set1(1e-7f);                                                           \
    for (long it = 0; it < iterations; it++) {                                                          \
        for (int i = 0; i < chains; i++) acc[i] = fma(acc[i], a, b);                                    \
    }                                                                                                   \
    float sink = 0, out[lanes];                                                                         \
    for (int i = 0; i < chains; i++) { memcpy(out, &acc[i], sizeof out); sink += out[0]; }              \
    return sink;

enum { CHAINS_512 = 16, CHAINS_256 = 12, CHAINS_128 = 12 };

__attribute__((target("avx512f"))) static float fma_avx512(long iterations) {
    FMA_LOOP(__m512, _mm512_fmadd_ps, _mm512_set1_ps, 16, CHAINS_512)
}

__attribute__((target("avx2,fma"))) static float fma_avx2(long iterations) {
    FMA_LOOP(__m256, _mm256_fmadd_ps, _mm256_set1_ps, 8, CHAINS_256)
}

static float fma_sse(long iterations) {
#define MULADD(x, y, z) _mm_add_ps(_mm_mul_ps(x, y), z)
    FMA_LOOP(__m128, MULADD, _mm_set1_ps, 4, CHAINS_128)
#undef MULADD
}

static int fma_chains(int width) { return width == 512 ? CHAINS_512 : width == 256 ? CHAINS_256 : CHAINS_128; }

static int widest_fma(void) {
    const char *f = bertkit_cpu_features();
    if (strstr(f, "avx512f")) return 512;
    if (strstr(f, "avx2") && strstr(f, "fma")) return 256;
    return 128;
}

static float run_fma(int width, long iterations) {
    return width == 512 ? fma_avx512(iterations) : width == 256 ? fma_avx2(iterations) : fma_sse(iterations);
}

const char *bertkit_fma_isa(void) {
    int w = widest_fma();
    return w == 512 ? "avx512" : w == 256 ? "avx2+fma" : "sse (mul+add)";
}

#else

const char *bertkit_cpu_brand(void) { return "unknown (not x86-64)"; }
void bertkit_cpu_signature(int *family, int *model, int *stepping) { *family = *model = *stepping = 0; }
const char *bertkit_cpu_features(void) { return ""; }

static int widest_fma(void) { return 128; }
static int fma_chains(int width) { (void)width; return 64; }
static float run_fma(int width, long iterations) {
    (void)width;
    float acc[64];
    for (int i = 0; i < 64; i++) acc[i] = 1.0f + i * 1e-3f;
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 64; i++) acc[i] = acc[i] * 0.999999f + 1e-7f;
    float sink = 0;
    for (int i = 0; i < 64; i++) sink += acc[i];
    return sink;
}
const char *bertkit_fma_isa(void) { return "scalar"; }

#endif

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double bertkit_fma_peak_gflops(double seconds) {
    int width = widest_fma();
    double flops_per_iteration = fma_chains(width) * 2.0 * (width / 32);
#if !(defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__)))
    flops_per_iteration = 64.0 * 2.0;
#endif
    volatile float sink = 0;
    long iterations = 1 << 16;
    double best = 0, deadline = seconds_now() + seconds;
    while (seconds_now() < deadline) {
        double start = seconds_now();
        sink += run_fma(width, iterations);
        double elapsed = seconds_now() - start;
        if (elapsed < 2e-3) { iterations *= 2; continue; }
        double rate = flops_per_iteration * (double)iterations / elapsed / 1e9;
        if (rate > best) best = rate;
    }
    (void)sink;
    return best;
}
