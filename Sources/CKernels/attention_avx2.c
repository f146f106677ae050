// attention.c's fused (sequence, head) attention for AVX2 CPUs: the same steps and the same
// order of sums, with 8-lane vectors. Per block of query rows: S = scale·Q·Kᵀ + mask into a
// row block of P, E = exp(S − rowmax S), C = (E·V)/rowsum E, P = E/rowsum E when kept.
// Kᵀ is packed once per call into a thread's scratch, 8 keys per block, and V row after row: V's
// rows sit a QKV row apart, one page each, and reading them in place for every block of query
// rows cost a fifth of the time in TLB misses. Whole 8-wide blocks use plain loads and stores,
// masked ones only the last block of a row: AMD's masked stores are slow (Zen 3: the kernel
// ran at 35 GFLOP/s on one core with them everywhere, 62 without). Every sum runs in a
// fixed order that depends only on the sequence's length: the result does not depend on
// threads, batch or the other sequences.
#include "CKernels.h"
#include "isa.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

// e^x for 8 lanes, as exp16 in attention.c: x = n·ln2 + r, a degree-6 polynomial for e^r, 2^n in
// the exponent bits; 0 below −87.3, +∞ above 88.7.
static inline AVX2 __m256 exp8(__m256 x) {
    const __m256 lo = _mm256_set1_ps(-87.3f), hi = _mm256_set1_ps(88.7f);
    __m256 c = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    const __m256 shifter = _mm256_set1_ps(12582912.0f);
    __m256 t = _mm256_fmadd_ps(c, _mm256_set1_ps(1.442695040888963f), shifter);
    __m256 n = _mm256_sub_ps(t, shifter);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), c);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1));
    __m256i bits = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000)), _mm256_set1_epi32(127)), 23);
    __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
    return _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
}

// The lanes of an 8-wide block that hold columns below `count` (count may exceed 8), as a mask
// for maskload/maskstore.
static inline AVX2 __m256i lanes8(size_t count) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int n = count >= 8 ? 8 : (int)count;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), index);
}

static inline AVX2 float reduce_add8(__m256 x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline AVX2 float reduce_max8(__m256 x) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// The scratch for Kᵀ: head_dim rows of `stride` floats, grown as needed, one per thread.
static __thread float *packed_keys;
static __thread size_t packed_capacity;

static float *key_scratch(size_t count) {
    if (count > packed_capacity) {
        free(packed_keys);
        packed_keys = aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64);
        packed_capacity = packed_keys ? count : 0;
    }
    return packed_keys;
}

// Transposes the 8×8 block held in r[0..7] (row i in r[i]) in place.
static inline __attribute__((always_inline)) AVX2 void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int k = 0; k < 4; k++) {
        r[k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x20);
        r[4 + k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x31);
    }
}

// kt[d·stride + j] = k[j·ld + d] for j < length, zeros up to stride; 8×8 blocks at a time
// (head_dim is a multiple of 8).
static AVX2 void pack_keys(const float *k, size_t ld, size_t length, size_t head_dim, float *kt, size_t stride) {
    __m256 r[8];
    for (size_t j0 = 0; j0 < stride; j0 += 8)
        for (size_t d0 = 0; d0 < head_dim; d0 += 8) {
            for (size_t i = 0; i < 8; i++)
                r[i] = j0 + i < length ? _mm256_loadu_ps(k + (j0 + i) * ld + d0) : _mm256_setzero_ps();
            transpose8(r);
            for (size_t t = 0; t < 8; t++) _mm256_storeu_ps(kt + (d0 + t) * stride + j0, r[t]);
        }
}

// acc[r][t] = Σ_k a[r·lda + k]·b[k·ldb + 8t ..+8] for `ROWS` rows of A and `TILES`·8 columns of B,
// k in order. The counts are constants where this is inlined, so acc stays in registers.
static inline __attribute__((always_inline)) AVX2 void tile_product(
    const float *a, size_t lda, const float *b, size_t ldb, size_t k, __m256 acc[4][8],
    const size_t ROWS, const size_t TILES) {
    for (size_t r = 0; r < ROWS; r++)
        for (size_t t = 0; t < TILES; t++) acc[r][t] = _mm256_setzero_ps();
    for (size_t i = 0; i < k; i++) {
        const float *br = b + i * ldb;
        for (size_t r = 0; r < ROWS; r++) {
            __m256 av = _mm256_set1_ps(a[r * lda + i]);
            for (size_t t = 0; t < TILES; t++) acc[r][t] = _mm256_fmadd_ps(av, _mm256_loadu_ps(br + 8 * t), acc[r][t]);
        }
    }
}

// Scores of `ROWS` query rows against `TILES`·8 keys from column j: scale·q·Kᵀ + mask, into p
// (row stride `length`), raising each row's running maximum in `top`.
static inline __attribute__((always_inline)) AVX2 void score_block(
    const float *q, size_t ld, const float *kt, size_t stride, size_t j, size_t length, size_t head_dim,
    __m256 s, const float *mask, float *p, __m256 *top, const size_t ROWS, const size_t TILES) {
    __m256 acc[4][8];
    tile_product(q, ld, kt + j, stride, head_dim, acc, ROWS, TILES);
    const __m256 none = _mm256_set1_ps(-INFINITY);
    for (size_t t = 0; t < TILES; t++) {
        size_t column = j + 8 * t;
        if (column + 8 <= length) {
            // A whole block: plain loads and stores.
            __m256 add = mask ? _mm256_loadu_ps(mask + column) : _mm256_setzero_ps();
            for (size_t r = 0; r < ROWS; r++) {
                __m256 x = _mm256_fmadd_ps(acc[r][t], s, add);
                _mm256_storeu_ps(p + r * length + column, x);
                top[r] = _mm256_max_ps(top[r], x);
            }
            continue;
        }
        __m256i m = lanes8(length - column);
        __m256 add = mask ? _mm256_maskload_ps(mask + column, m) : _mm256_setzero_ps();
        for (size_t r = 0; r < ROWS; r++) {
            __m256 x = _mm256_fmadd_ps(acc[r][t], s, add);
            _mm256_maskstore_ps(p + r * length + column, m, x);
            top[r] = _mm256_max_ps(top[r], _mm256_blendv_ps(none, x, _mm256_castsi256_ps(m)));
        }
    }
}

// e = exp(x − max) over one row in place; returns 1/Σe. A row whose every score is −∞ becomes
// zeros, with factor 0.
static inline AVX2 float exp_row(float *x, size_t length, float top) {
    if (top == -INFINITY) {
        for (size_t j = 0; j < length; j++) x[j] = 0;
        return 0;
    }
    const __m256 shift = _mm256_set1_ps(top);
    __m256 sum = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 8 <= length; j += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), shift));
        sum = _mm256_add_ps(sum, e);
        _mm256_storeu_ps(x + j, e);
    }
    if (j < length) {
        __m256i m = lanes8(length - j);
        __m256 e = _mm256_and_ps(exp8(_mm256_sub_ps(_mm256_maskload_ps(x + j, m), shift)), _mm256_castsi256_ps(m));
        sum = _mm256_add_ps(sum, e);
        _mm256_maskstore_ps(x + j, m, e);
    }
    return 1 / reduce_add8(sum);
}

// x ← x·inverse over one row: e into the softmax.
static inline AVX2 void normalize_row(float *x, size_t length, float inverse) {
    const __m256 inv = _mm256_set1_ps(inverse);
    size_t j = 0;
    for (; j + 8 <= length; j += 8) _mm256_storeu_ps(x + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), inv));
    if (j < length) {
        __m256i m = lanes8(length - j);
        _mm256_maskstore_ps(x + j, m, _mm256_mul_ps(_mm256_maskload_ps(x + j, m), inv));
    }
}

// c[r, :] = (p[r, :]·V)·scale[r] for `ROWS` rows and a head of `TILES`·8 columns.
static inline __attribute__((always_inline)) AVX2 void weighted_block(
    const float *p, const float *v, size_t ld, size_t length, float *c, size_t ldc, const float *scale,
    const size_t ROWS, const size_t TILES) {
    __m256 acc[4][8];
    tile_product(p, length, v, ld, length, acc, ROWS, TILES);
    for (size_t r = 0; r < ROWS; r++) {
        __m256 s = _mm256_set1_ps(scale[r]);
        for (size_t t = 0; t < TILES; t++) _mm256_storeu_ps(c + r * ldc + 8 * t, _mm256_mul_ps(acc[r][t], s));
    }
}

// One block of `ROWS` query rows: scores `STILES`·8 keys at a time, softmax, P·V over a head of
// `VTILES`·8 columns.
static inline __attribute__((always_inline)) AVX2 void query_block(
    const float *q, const float *v, size_t ld, const float *kt, size_t stride, size_t length, size_t head_dim,
    __m256 s, const float *mask, float *p, float *c, size_t ldc, int keeps,
    const size_t ROWS, const size_t STILES, const size_t VTILES) {
    __m256 top[4];
    for (size_t r = 0; r < ROWS; r++) top[r] = _mm256_set1_ps(-INFINITY);
    size_t j = 0;
    for (; j + 8 * STILES <= stride; j += 8 * STILES)
        score_block(q, ld, kt, stride, j, length, head_dim, s, mask, p, top, ROWS, STILES);
    for (; j < stride; j += 8) score_block(q, ld, kt, stride, j, length, head_dim, s, mask, p, top, ROWS, 1);
    float scale[4];
    for (size_t r = 0; r < ROWS; r++) scale[r] = exp_row(p + r * length, length, reduce_max8(top[r]));
    weighted_block(p, v, head_dim, length, c, ldc, scale, ROWS, VTILES);
    if (keeps)
        for (size_t r = 0; r < ROWS; r++) normalize_row(p + r * length, length, scale[r]);
}

// The whole head, `ROWS` query rows at a time (at most 8 accumulators: 16 registers hold them,
// the loaded keys and the broadcast), the last rows one at a time.
static inline __attribute__((always_inline)) AVX2 void head_rows(
    const float *q, const float *v, size_t ld, const float *kt, size_t stride, size_t length, size_t head_dim,
    __m256 s, const float *mask, float *p, float *block, float *c, size_t ldc, const size_t VTILES) {
    const size_t ROWS = VTILES <= 2 ? 4 : VTILES <= 4 ? 2 : 1, STILES = 8 / ROWS;
    size_t r0 = 0;
    for (; r0 + ROWS <= length; r0 += ROWS)
        query_block(q + r0 * ld, v, ld, kt, stride, length, head_dim, s, mask, p ? p + r0 * length : block,
                    c + r0 * ldc, ldc, p != NULL, ROWS, STILES, VTILES);
    for (; r0 < length; r0++)
        query_block(q + r0 * ld, v, ld, kt, stride, length, head_dim, s, mask, p ? p + r0 * length : block,
                    c + r0 * ldc, ldc, p != NULL, 1, 8, VTILES);
}

AVX2 int bertkit_attention_head_avx2(const float *q, const float *k, const float *v, size_t ld, size_t length,
                                     size_t head_dim, float scale, const float *mask, float *probabilities,
                                     float *context, size_t ldc) {
    size_t stride = (length + 7) / 8 * 8;
    // Kᵀ, then (without a probabilities buffer) one row block of P, 4 rows at most.
    float *kt = key_scratch(head_dim * stride + length * head_dim + (probabilities ? 0 : 4 * length));
    if (!kt) return 0;
    pack_keys(k, ld, length, head_dim, kt, stride);
    float *vp = kt + head_dim * stride;
    for (size_t j = 0; j < length; j++) memcpy(vp + j * head_dim, v + j * ld, head_dim * sizeof(float));
    v = vp;
    float *block = vp + length * head_dim;
    __m256 s = _mm256_set1_ps(scale);
    switch (head_dim / 8) {
    case 1: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 1); break;
    case 2: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 2); break;
    case 3: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 3); break;
    case 4: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 4); break;
    case 5: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 5); break;
    case 6: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 6); break;
    case 7: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 7); break;
    default: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 8); break;
    }
    return 1;
}

#else

int bertkit_attention_head_avx2(const float *q, const float *k, const float *v, size_t ld, size_t length,
                                size_t head_dim, float scale, const float *mask, float *probabilities,
                                float *context, size_t ldc) {
    return 0;
}
#endif
