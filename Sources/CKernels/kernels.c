// See CKernels.h. Each kernel is one plain loop over a scalar function, written without branches
// so the compiler vectorizes it; the same body is compiled once per instruction set.
#include "CKernels.h"
#include "isa.h"

#include <math.h>
#include <string.h>

// e^x. Range reduction x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two so r is exact), a
// degree-6 polynomial for e^r, and 2^n built in the exponent bits. Below −87.3 gives 0 and
// above 88.7 gives +∞, as expf does.
static inline __attribute__((always_inline)) float fast_exp(float x) {
    float c = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
    // Adding 1.5·2²³ rounds c·log2(e) to an integer n held in the low mantissa bits of t.
    float t = c * 1.442695040888963f + 12582912.0f;
    float n = t - 12582912.0f;
    float r = c - n * 0.693145751953125f;   // ln2, high part (exact in float)
    r = r - n * 1.428606765330187e-06f;     // ln2, low part
    float p = 1.0f / 720;                   // 1 + r + r²/2! + … + r⁶/6!, Horner form
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1;
    p = p * r + 1;
    // 2^n: n + 127 in the exponent field (n is t's bit pattern minus that of 1.5·2²³).
    int bits;
    memcpy(&bits, &t, sizeof bits);
    bits = (bits - 0x4B400000 + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float y = p * scale;
    return x < -87.3f ? 0.0f : (x > 88.7f ? INFINITY : y);
}

// erf(x) as an odd rational function on [−4, 4] (erf is ±1 in float beyond), with the monomial
// coefficients of the well-known single-precision minimax approximation.
static inline __attribute__((always_inline)) float fast_erf(float xIn) {
    float x = xIn < -4.0f ? -4.0f : (xIn > 4.0f ? 4.0f : xIn);
    float x2 = x * x;
    float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
    p = x2 * p + -2.10102402082508e-06f;
    p = x2 * p + -5.69250639462346e-05f;
    p = x2 * p + -7.34990630326855e-04f;
    p = x2 * p + -2.95459980854025e-03f;
    p = x2 * p + -1.60960333262415e-02f;
    p = x * p;
    float q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
    q = x2 * q + -1.68282697438203e-03f;
    q = x2 * q + -7.37332916720468e-03f;
    q = x2 * q + -1.42647390514189e-02f;
    return p / q;
}

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

// ½v(1 + erf(v/√2))
static inline __attribute__((always_inline)) float gelu(float v) {
    return 0.5f * v * (1.0f + fast_erf(v * INV_SQRT2));
}

// Φ(v) + v·φ(v),  Φ(v) = ½(1 + erf(v/√2)),  φ(v) = e^(−v²/2)/√(2π)
static inline __attribute__((always_inline)) float gelu_derivative(float v) {
    return 0.5f * (1.0f + fast_erf(v * INV_SQRT2)) + v * fast_exp(-0.5f * v * v) * INV_SQRT_2PI;
}

static inline __attribute__((always_inline)) void exp_shifted_body(float *x, size_t n, float shift) {
    for (size_t j = 0; j < n; j++) x[j] = fast_exp(x[j] - shift);
}

static inline __attribute__((always_inline)) void gelu_forward_body(
    const float *x, const float *bias, float *y, size_t rows, size_t cols) {
    if (!bias) {
        for (size_t i = 0; i < rows * cols; i++) y[i] = gelu(x[i]);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        for (size_t j = 0; j < cols; j++) yr[j] = gelu(xr[j] + bias[j]);
    }
}

static inline __attribute__((always_inline)) void gelu_backward_body(
    const float *x, const float *bias, const float *dy, float *dx, size_t rows, size_t cols) {
    if (!bias) {
        for (size_t i = 0; i < rows * cols; i++) dx[i] = dy[i] * gelu_derivative(x[i]);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols, *dyr = dy + r * cols;
        float *dxr = dx + r * cols;
        for (size_t j = 0; j < cols; j++) dxr[j] = dyr[j] * gelu_derivative(xr[j] + bias[j]);
    }
}

// √x as one instruction: sqrtf may set errno for x < 0, which keeps it out of vector code.
#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_sqrt)
#define VECTOR_SQRT(x) __builtin_elementwise_sqrt(x)
#endif
#endif
#ifndef VECTOR_SQRT
#define VECTOR_SQRT(x) sqrtf(x)
#endif

static inline __attribute__((always_inline)) void adamw_body(
    float *p, const float *g, float *m, float *v, size_t n, float grad_scale, float decay, float w, float beta2,
    float one_minus_beta2, float bc2, float step, float eps) {
    // torch rounds after every operation; a fused multiply-add would round once.
#pragma clang fp contract(off)
    if (w < 0.5f) {
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] * grad_scale, pi = p[i] * decay;
            float mi = m[i] + w * (gi - m[i]);
            float vi = v[i] * beta2 + one_minus_beta2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi + step * mi / (VECTOR_SQRT(vi) / bc2 + eps);
        }
    } else {
        // torch's lerp for weights ≥ ½: end − (end − start)·(1 − w).
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] * grad_scale, pi = p[i] * decay;
            float mi = gi - (gi - m[i]) * (1 - w);
            float vi = v[i] * beta2 + one_minus_beta2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi + step * mi / (VECTOR_SQRT(vi) / bc2 + eps);
        }
    }
}

// One copy of each kernel per instruction set, named KERNEL_suffix.
#define DEFINE_KERNELS(suffix, attributes)                                                              \
    attributes static void exp_shifted_##suffix(float *x, size_t n, float shift) {                      \
        exp_shifted_body(x, n, shift);                                                                  \
    }                                                                                                   \
    attributes static void gelu_forward_##suffix(const float *x, const float *bias, float *y,          \
                                                 size_t rows, size_t cols) {                            \
        gelu_forward_body(x, bias, y, rows, cols);                                                      \
    }                                                                                                   \
    attributes static void gelu_backward_##suffix(const float *x, const float *bias, const float *dy,  \
                                                  float *dx, size_t rows, size_t cols) {                \
        gelu_backward_body(x, bias, dy, dx, rows, cols);                                                \
    }                                                                                                   \
    attributes static void adamw_##suffix(float *p, const float *g, float *m, float *v, size_t n,      \
                                          float grad_scale, float decay, float w, float beta2,          \
                                          float one_minus_beta2, float bc2, float step, float eps) {    \
        adamw_body(p, g, m, v, n, grad_scale, decay, w, beta2, one_minus_beta2, bc2, step, eps);        \
    }

DEFINE_KERNELS(baseline, )

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
DEFINE_KERNELS(avx2, __attribute__((target("avx2,fma"))))
DEFINE_KERNELS(avx512, __attribute__((target("avx512f,avx512vl,avx2,fma"))))

enum isa { ISA_BASELINE, ISA_AVX2, ISA_AVX512 };

// The widest instruction set this CPU (and its operating system) supports, found on first use.
// Every thread that races to find it finds the same value.
static int isa_found = -1;
// The widest one the CPU has, kept once bertkit_select_kernel_isa has narrowed isa_found.
static int isa_supported = -1;

static enum isa detected_isa(void);

int bertkit_internal_isa(void) { return (int)detected_isa(); }

static enum isa detected_isa(void) {
    int found = __atomic_load_n(&isa_found, __ATOMIC_RELAXED);
    if (found < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) found = ISA_AVX512;
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) found = ISA_AVX2;
        else found = ISA_BASELINE;
        int limit = bertkit_isa_limit();
        if (limit >= 0 && limit < found) found = limit;
        __atomic_store_n(&isa_found, found, __ATOMIC_RELAXED);
    }
    return (enum isa)found;
}

#define DISPATCH(kernel, ...)                                                                           \
    switch (detected_isa()) {                                                                           \
    case ISA_AVX512: kernel##_avx512(__VA_ARGS__); break;                                               \
    case ISA_AVX2: kernel##_avx2(__VA_ARGS__); break;                                                   \
    default: kernel##_baseline(__VA_ARGS__); break;                                                     \
    }

static const char *const isa_names[] = {"baseline", "avx2", "avx512"};

const char *bertkit_kernel_isa(void) { return isa_names[detected_isa()]; }

int bertkit_select_kernel_isa(const char *name) {
    int supported = (int)detected_isa();
    if (isa_supported < 0) isa_supported = supported;   // first call: remember what the CPU has
    for (int isa = 0; isa <= isa_supported; isa++) {
        if (strcmp(name, isa_names[isa]) == 0) {
            __atomic_store_n(&isa_found, isa, __ATOMIC_RELAXED);
            return 1;
        }
    }
    return 0;
}
#else
#define DISPATCH(kernel, ...) kernel##_baseline(__VA_ARGS__);

int bertkit_internal_isa(void) { return 0; }

const char *bertkit_kernel_isa(void) { return "baseline"; }

int bertkit_select_kernel_isa(const char *name) { return strcmp(name, "baseline") == 0; }
#endif

void bertkit_exp_shifted(float *x, size_t n, float shift) {
    DISPATCH(exp_shifted, x, n, shift)
}

void bertkit_gelu_forward(const float *x, const float *bias, float *y, size_t rows, size_t cols) {
    DISPATCH(gelu_forward, x, bias, y, rows, cols)
}

void bertkit_gelu_backward(const float *x, const float *bias, const float *dy, float *dx, size_t rows, size_t cols) {
    DISPATCH(gelu_backward, x, bias, dy, dx, rows, cols)
}

void bertkit_adamw(float *p, const float *g, float *m, float *v, size_t n, float grad_scale,
                   float decay, float lerp_weight, float beta2, float one_minus_beta2,
                   float bias_correction2_sqrt, float negative_step_size, float eps) {
    DISPATCH(adamw, p, g, m, v, n, grad_scale, decay, lerp_weight, beta2, one_minus_beta2, bias_correction2_sqrt,
             negative_step_size, eps)
}
