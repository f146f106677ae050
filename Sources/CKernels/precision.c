// Conversions for lower-precision products: float ↔ bfloat16, dynamic int8 quantization of
// activations (per row, asymmetric, unsigned) and of weights (per output channel, symmetric,
// signed), and the int32 → float epilogue. Plain loops the compiler vectorizes, built per
// instruction set like kernels.c.
#include "CKernels.h"
#include "isa.h"

#include <math.h>
#include <string.h>

// Rounds to the nearest integer, ties to even, for |v| < 2²²: adding 1.5·2²³ leaves the integer in
// the mantissa. Vectorizes, unlike lrintf.
static inline __attribute__((always_inline)) float round_even(float v) {
    return (v + 12582912.0f) - 12582912.0f;
}

// float → bfloat16, round to nearest even; NaN stays a (quiet) NaN.
static inline __attribute__((always_inline)) uint16_t to_bf16(float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
    uint32_t nan = (bits >> 16) | 0x40u;
    return (uint16_t)(((bits & 0x7FFFFFFFu) > 0x7F800000u) ? nan : rounded);
}

// The float an int32 product stands for; the int32 is read from where the product left it, in
// the float output, without aliasing a float.
static inline __attribute__((always_inline)) float dequantized(const float *at, int32_t zero, int32_t col_sum, float scale) {
    int32_t acc;
    memcpy(&acc, at, sizeof acc);
    return (float)(acc - zero * col_sum) * scale;
}

// The smallest and largest of x[0..<n], widened to hold 0 (so 0 is exact after quantization).
// Sixteen running minima and maxima, one per lane: a single running value is a dependency chain
// the compiler may not reorder (its NaN rules), and it stayed scalar.
static inline __attribute__((always_inline)) void row_range(const float *x, size_t n, float *lo_out, float *hi_out) {
    float lo[16] = {0}, hi[16] = {0};
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        for (int l = 0; l < 16; l++) {
            float v = x[j + l];
            lo[l] = v < lo[l] ? v : lo[l];
            hi[l] = v > hi[l] ? v : hi[l];
        }
    }
    for (; j < n; j++) {
        lo[0] = x[j] < lo[0] ? x[j] : lo[0];
        hi[0] = x[j] > hi[0] ? x[j] : hi[0];
    }
    float a = 0, b = 0;
    for (int l = 0; l < 16; l++) {
        a = lo[l] < a ? lo[l] : a;
        b = hi[l] > b ? hi[l] : b;
    }
    *lo_out = a;
    *hi_out = b;
}

#define DEFINE_PRECISION_KERNELS(suffix, attributes)                                                    \
    attributes static void f32_to_bf16_##suffix(const float *x, uint16_t *y, size_t n) {               \
        for (size_t i = 0; i < n; i++) y[i] = to_bf16(x[i]);                                            \
    }                                                                                                   \
    attributes static void quantize_rows_##suffix(const float *x, size_t rows, size_t cols, uint8_t *q,  \
                                                  float *scale, int32_t *zero) {                        \
        for (size_t r = 0; r < rows; r++) {                                                             \
            const float *row = x + r * cols;                                                            \
            float lo, hi;                                                                               \
            row_range(row, cols, &lo, &hi);                                                             \
            float s = (hi - lo) / 255.0f;                                                               \
            if (!(s > 0)) s = 1;                                                                        \
            float z = round_even(-lo / s);                                                              \
            z = z < 0 ? 0 : (z > 255 ? 255 : z);                                                        \
            float inv = 1.0f / s;                                                                       \
            uint8_t *out = q + r * cols;                                                                \
            for (size_t j = 0; j < cols; j++) {                                                         \
                float v = round_even(row[j] * inv) + z;                                                 \
                v = v < 0 ? 0 : (v > 255 ? 255 : v);                                                    \
                out[j] = (uint8_t)(int)v;                                                               \
            }                                                                                           \
            scale[r] = s;                                                                               \
            zero[r] = (int32_t)z;                                                                       \
        }                                                                                               \
    }                                                                                                   \
    attributes static void dequantize_##suffix(float *y, size_t rows, size_t cols, size_t ldy,           \
                                               const float *row_scale, const int32_t *row_zero,         \
                                               const float *col_scale, const int32_t *col_sum,          \
                                               const float *bias) {                                     \
        /* Two loops, not `bias ? … : …` per element: that compiles to masked loads from the null */    \
        /* pointer, which some CPUs fault-suppress in microcode, ten times slower. */                   \
        for (size_t r = 0; r < rows; r++) {                                                             \
            float *out = y + r * ldy;                                                                   \
            float s = row_scale[r];                                                                     \
            int32_t z = row_zero[r];                                                                    \
            if (bias) {                                                                                 \
                for (size_t j = 0; j < cols; j++) out[j] = dequantized(out + j, z, col_sum[j], s * col_scale[j]) + bias[j]; \
            } else {                                                                                    \
                for (size_t j = 0; j < cols; j++) out[j] = dequantized(out + j, z, col_sum[j], s * col_scale[j]); \
            }                                                                                           \
        }                                                                                               \
    }

DEFINE_PRECISION_KERNELS(baseline, )

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
DEFINE_PRECISION_KERNELS(avx2, __attribute__((target("avx2,fma"))))
DEFINE_PRECISION_KERNELS(avx512, __attribute__((target("avx512f,avx512vl,avx512bw,avx2,fma"))))
#define DISPATCH(kernel, ...)                                                                           \
    switch (bertkit_internal_isa()) {                                                                   \
    case 2: kernel##_avx512(__VA_ARGS__); break;                                                        \
    case 1: kernel##_avx2(__VA_ARGS__); break;                                                          \
    default: kernel##_baseline(__VA_ARGS__); break;                                                     \
    }
#else
#define DISPATCH(kernel, ...) kernel##_baseline(__VA_ARGS__);
#endif

void bertkit_f32_to_bf16(const float *x, uint16_t *y, size_t n) {
    DISPATCH(f32_to_bf16, x, y, n)
}

void bertkit_bf16_to_f32(const uint16_t *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)x[i] << 16;
        memcpy(&y[i], &bits, sizeof bits);
    }
}

void bertkit_quantize_rows_u8(const float *x, size_t rows, size_t cols, uint8_t *q, float *scale, int32_t *zero) {
    DISPATCH(quantize_rows, x, rows, cols, q, scale, zero)
}

void bertkit_quantize_weights_s8(const float *w, size_t rows, size_t cols, int max_q, int8_t *q, float *scale,
                                 int32_t *row_sum) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = w + r * cols;
        float m = 0;
        for (size_t j = 0; j < cols; j++) m = fabsf(row[j]) > m ? fabsf(row[j]) : m;
        float s = m > 0 ? m / (float)max_q : 1;
        int32_t sum = 0;
        for (size_t j = 0; j < cols; j++) {
            float v = round_even(row[j] / s);
            v = v < -max_q ? -max_q : (v > max_q ? max_q : v);
            q[r * cols + j] = (int8_t)(int)v;
            sum += (int32_t)v;
        }
        scale[r] = s;
        row_sum[r] = sum;
    }
}

void bertkit_dequantize_s32(float *y, size_t rows, size_t cols, size_t ldy, const float *row_scale,
                            const int32_t *row_zero, const float *col_scale, const int32_t *col_sum,
                            const float *bias) {
    DISPATCH(dequantize, y, rows, cols, ldy, row_scale, row_zero, col_scale, col_sum, bias)
}
