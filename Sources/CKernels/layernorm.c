// LayerNorm over rows whose sum with a bias and a residual is formed on the way in: a
// transformer's residual block ends this way after every attention and feed-forward product.
// One row at a time, its three passes (sum, deviations, normalize) read the row from L1.
// AVX-512 only; elsewhere Tensor keeps its Swift loop, which computes the same thing.
#include "CKernels.h"
#include "isa.h"

#include <math.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>


// v = (x + bias) + residual at column j, stored to vr, and returned.
static inline AVX512 __m512 residual_sum(const float *xr, const float *bias, const float *rr, float *vr, size_t j) {
    __m512 v = _mm512_loadu_ps(xr + j);
    if (bias) v = _mm512_add_ps(v, _mm512_loadu_ps(bias + j));
    v = _mm512_add_ps(v, _mm512_loadu_ps(rr + j));
    _mm512_storeu_ps(vr + j, v);
    return v;
}

static AVX512 void residual_layer_norm_avx512(const float *x, const float *bias, const float *residual,
                                              const float *gamma, const float *beta, float *sum, float *out,
                                              float *mean, float *rstd, size_t rows, size_t cols, float eps) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols, *rr = residual + r * cols;
        float *vr = (sum ? sum : out) + r * cols, *outr = out + r * cols;
        // v, and Σv in two accumulators (two vectors a step; cols is a multiple of 16, so at most one is left).
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        size_t j = 0;
        for (; j + 32 <= cols; j += 32) {
            s0 = _mm512_add_ps(s0, residual_sum(xr, bias, rr, vr, j));
            s1 = _mm512_add_ps(s1, residual_sum(xr, bias, rr, vr, j + 16));
        }
        if (j < cols) s0 = _mm512_add_ps(s0, residual_sum(xr, bias, rr, vr, j));
        float m = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1)) / (float)cols;
        // Σ(v − m)², from L1, the same way.
        __m512 center = _mm512_set1_ps(m);
        __m512 d0 = _mm512_setzero_ps(), d1 = _mm512_setzero_ps();
        for (j = 0; j + 32 <= cols; j += 32) {
            __m512 a = _mm512_sub_ps(_mm512_loadu_ps(vr + j), center), b = _mm512_sub_ps(_mm512_loadu_ps(vr + j + 16), center);
            d0 = _mm512_fmadd_ps(a, a, d0);
            d1 = _mm512_fmadd_ps(b, b, d1);
        }
        if (j < cols) {
            __m512 a = _mm512_sub_ps(_mm512_loadu_ps(vr + j), center);
            d0 = _mm512_fmadd_ps(a, a, d0);
        }
        float variance = _mm512_reduce_add_ps(_mm512_add_ps(d0, d1)) / (float)cols;
        float s = 1.0f / sqrtf(variance + eps);
        // out = ((v − m)·s)·γ + β, each step rounded as the Swift loop rounds it.
        __m512 scale = _mm512_set1_ps(s);
        for (size_t j = 0; j < cols; j += 16) {
            __m512 n = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(vr + j), center), scale);
            _mm512_storeu_ps(outr + j, _mm512_add_ps(_mm512_mul_ps(n, _mm512_loadu_ps(gamma + j)), _mm512_loadu_ps(beta + j)));
        }
        mean[r] = m;
        rstd[r] = s;
    }
}

int bertkit_residual_layer_norm(const float *x, const float *bias, const float *residual, const float *gamma,
                                const float *beta, float *sum, float *out, float *mean, float *rstd,
                                size_t rows, size_t cols, float eps) {
    if (bertkit_internal_isa() < 2 || cols == 0 || cols % 16 != 0) return 0;
    residual_layer_norm_avx512(x, bias, residual, gamma, beta, sum, out, mean, rstd, rows, cols, eps);
    return 1;
}

#else

int bertkit_residual_layer_norm(const float *x, const float *bias, const float *residual, const float *gamma,
                                const float *beta, float *sum, float *out, float *mean, float *rstd,
                                size_t rows, size_t cols, float eps) {
    return 0;
}
#endif
