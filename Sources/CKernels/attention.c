// One (sequence, head) block of scaled dot-product attention in one pass over L1-sized pieces:
//   S = scale·Q·Kᵀ + mask,  E = exp(S − rowmax(S)),  C = (E·V)/rowsum(E),  P = E/rowsum(E).
// A few query rows at a time: their scores, exponentials and share of E·V run while those rows
// are still in L1, so P (when kept for the backward pass) is written once and never read back
// from memory, and the context is the same whether P is kept or not. Kᵀ is packed once per
// call into a thread's scratch, 16 keys per block. AVX-512 here; AVX2 CPUs run attention_avx2.c,
// others Tensor's path of strided GEMMs, which computes the same thing within rounding.
#include "CKernels.h"
#include "isa.h"

#include <math.h>
#include <stdlib.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>


// e^x for 16 lanes, as kernels.c's fast_exp: x = n·ln2 + r, a degree-6 polynomial for e^r,
// 2^n in the exponent bits; 0 below −87.3, +∞ above 88.7.
static inline AVX512 __m512 exp16(__m512 x) {
    const __m512 lo = _mm512_set1_ps(-87.3f), hi = _mm512_set1_ps(88.7f);
    __m512 c = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
    const __m512 shifter = _mm512_set1_ps(12582912.0f);
    __m512 t = _mm512_fmadd_ps(c, _mm512_set1_ps(1.442695040888963f), shifter);
    __m512 n = _mm512_sub_ps(t, shifter);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), c);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1));
    __m512i bits = _mm512_slli_epi32(
        _mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000)), _mm512_set1_epi32(127)), 23);
    __m512 y = _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
    y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), _mm512_setzero_ps());
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ), _mm512_set1_ps(INFINITY));
}

// The lanes of a 16-wide block that hold columns below `count` (count may exceed 16).
static inline __mmask16 lanes(size_t count) {
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1);
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

// Transposes the 16×16 block held in r[0..15] (row i in r[i]) in place: unpack pairs of rows,
// then pair up 64-bit halves, then 128-bit quarters twice.
static inline __attribute__((always_inline)) AVX512 void transpose16(__m512 r[16]) {
    __m512 t[16], u[16], v[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        u[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++) {
            v[8 * i + k] = _mm512_shuffle_f32x4(u[8 * i + k], u[8 * i + 4 + k], 0x88);
            v[8 * i + 4 + k] = _mm512_shuffle_f32x4(u[8 * i + k], u[8 * i + 4 + k], 0xDD);
        }
    for (int k = 0; k < 8; k++) {
        r[k] = _mm512_shuffle_f32x4(v[k], v[8 + k], 0x88);
        r[8 + k] = _mm512_shuffle_f32x4(v[k], v[8 + k], 0xDD);
    }
}

// kt[d·stride + j] = k[j·ld + d] for j < length, zeros up to stride; 16×16 blocks at a time
// (head_dim is a multiple of 16), in registers: strided scalar copies took a tenth of the kernel.
static AVX512 void pack_keys(const float *k, size_t ld, size_t length, size_t head_dim, float *kt, size_t stride) {
    __m512 r[16];
    for (size_t j0 = 0; j0 < stride; j0 += 16)
        for (size_t d0 = 0; d0 < head_dim; d0 += 16) {
            for (size_t i = 0; i < 16; i++)
                r[i] = j0 + i < length ? _mm512_loadu_ps(k + (j0 + i) * ld + d0) : _mm512_setzero_ps();
            transpose16(r);
            for (size_t t = 0; t < 16; t++) _mm512_storeu_ps(kt + (d0 + t) * stride + j0, r[t]);
        }
}

// acc[r][t] = Σ_k a[r·lda + k]·b[k·ldb + 16t ..+16] for `ROWS` rows of A and `TILES`·16 columns of B:
// the register-tiled product under both of attention's products (scores: Q·Kᵀ from the packed Kᵀ;
// context: P·V). The counts are constants where this is inlined, so acc stays in registers.
static inline __attribute__((always_inline)) AVX512 void tile_product(
    const float *a, size_t lda, const float *b, size_t ldb, size_t k, __m512 acc[8][4],
    const size_t ROWS, const size_t TILES) {
    for (size_t r = 0; r < ROWS; r++)
        for (size_t t = 0; t < TILES; t++) acc[r][t] = _mm512_setzero_ps();
    for (size_t i = 0; i < k; i++) {
        const float *br = b + i * ldb;
        __m512 bv[4];
        for (size_t t = 0; t < TILES; t++) bv[t] = _mm512_loadu_ps(br + 16 * t);
        for (size_t r = 0; r < ROWS; r++) {
            __m512 av = _mm512_set1_ps(a[r * lda + i]);
            for (size_t t = 0; t < TILES; t++) acc[r][t] = _mm512_fmadd_ps(av, bv[t], acc[r][t]);
        }
    }
}

// Scores of `ROWS` query rows against `TILES`·16 keys from column j: scale·q·Kᵀ + mask, into p
// (row stride `length`), raising each row's running maximum in `top`. The counts are constants
// where this is called, so the accumulators stay in registers.
static inline __attribute__((always_inline)) AVX512 void score_block(
    const float *q, size_t ld, const float *kt, size_t stride, size_t j, size_t length, size_t head_dim,
    __m512 s, const float *mask, float *p, __m512 *top, const size_t ROWS, const size_t TILES) {
    __m512 acc[8][4];
    tile_product(q, ld, kt + j, stride, head_dim, acc, ROWS, TILES);
    for (size_t t = 0; t < TILES; t++) {
        size_t column = j + 16 * t;
        __mmask16 m = lanes(length - column);
        __m512 add = mask ? _mm512_maskz_loadu_ps(m, mask + column) : _mm512_setzero_ps();
        for (size_t r = 0; r < ROWS; r++) {
            __m512 x = _mm512_fmadd_ps(acc[r][t], s, add);
            _mm512_mask_storeu_ps(p + r * length + column, m, x);
            top[r] = _mm512_mask_max_ps(top[r], m, top[r], x);
        }
    }
}

// e = exp(x − max) over one row in place; returns 1/Σe, the factor that makes the row the
// softmax (see normalize_row). A row whose every score is −∞ becomes zeros, with factor 0.
static inline AVX512 float exp_row(float *x, size_t length, float top) {
    if (top == -INFINITY) {
        for (size_t j = 0; j < length; j++) x[j] = 0;
        return 0;
    }
    const __m512 shift = _mm512_set1_ps(top);
    __m512 sum = _mm512_setzero_ps();
    for (size_t j = 0; j < length; j += 16) {
        __mmask16 m = lanes(length - j);
        __m512 e = _mm512_maskz_mov_ps(m, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j), shift)));
        sum = _mm512_add_ps(sum, e);
        _mm512_mask_storeu_ps(x + j, m, e);
    }
    return 1 / _mm512_reduce_add_ps(sum);
}

// x ← x·inverse over one row: e into the softmax.
static inline AVX512 void normalize_row(float *x, size_t length, float inverse) {
    const __m512 inv = _mm512_set1_ps(inverse);
    for (size_t j = 0; j < length; j += 16) {
        __mmask16 m = lanes(length - j);
        _mm512_mask_storeu_ps(x + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + j), inv));
    }
}

// c[r, :] = (p[r, :]·V)·scale[r] for `ROWS` rows and a head of `TILES`·16 columns (constants where called).
static inline __attribute__((always_inline)) AVX512 void weighted_block(
    const float *p, const float *v, size_t ld, size_t length, float *c, size_t ldc, const float *scale,
    const size_t ROWS, const size_t TILES) {
    __m512 acc[8][4];
    tile_product(p, length, v, ld, length, acc, ROWS, TILES);
    for (size_t r = 0; r < ROWS; r++) {
        __m512 s = _mm512_set1_ps(scale[r]);
        for (size_t t = 0; t < TILES; t++) _mm512_storeu_ps(c + r * ldc + 16 * t, _mm512_mul_ps(acc[r][t], s));
    }
}

// One block of `ROWS` query rows, start to finish: scores, softmax, P·V. Score columns go
// `STILES`·16 at a time; the head is `VTILES`·16 wide. ROWS·max(STILES, VTILES) ≤ 16 keeps
// every accumulator in a register.
static inline __attribute__((always_inline)) AVX512 void query_block(
    const float *q, const float *v, size_t ld, const float *kt, size_t stride, size_t length, size_t head_dim,
    __m512 s, const float *mask, float *p, float *c, size_t ldc, int keeps,
    const size_t ROWS, const size_t STILES, const size_t VTILES) {
    __m512 top[8];
    for (size_t r = 0; r < ROWS; r++) top[r] = _mm512_set1_ps(-INFINITY);
    size_t j = 0;
    for (; j + 16 * STILES <= stride; j += 16 * STILES)
        score_block(q, ld, kt, stride, j, length, head_dim, s, mask, p, top, ROWS, STILES);
    for (; j < stride; j += 16) score_block(q, ld, kt, stride, j, length, head_dim, s, mask, p, top, ROWS, 1);
    // The context is (e·V)/Σe: one scaling per context row instead of one per probability. Kept
    // probabilities are then normalized in place; discarded ones (p is scratch) never are, and
    // the context is the same either way.
    float scale[8];
    for (size_t r = 0; r < ROWS; r++) scale[r] = exp_row(p + r * length, length, _mm512_reduce_max_ps(top[r]));
    weighted_block(p, v, ld, length, c, ldc, scale, ROWS, VTILES);
    if (keeps)
        for (size_t r = 0; r < ROWS; r++) normalize_row(p + r * length, length, scale[r]);
}

// The whole head for a head of `VTILES`·16 columns: 8 query rows at a time when the head is at
// most 32 wide, else 4; the last rows one at a time.
// p: the head's probabilities, or NULL to keep each block's in `block` only.
static inline __attribute__((always_inline)) AVX512 void head_rows(
    const float *q, const float *v, size_t ld, const float *kt, size_t stride, size_t length, size_t head_dim,
    __m512 s, const float *mask, float *p, float *block, float *c, size_t ldc, const size_t VTILES) {
    const size_t ROWS = VTILES <= 2 ? 8 : 4, STILES = 16 / ROWS;
    size_t r0 = 0;
    for (; r0 + ROWS <= length; r0 += ROWS)
        query_block(q + r0 * ld, v, ld, kt, stride, length, head_dim, s, mask, p ? p + r0 * length : block,
                    c + r0 * ldc, ldc, p != NULL, ROWS, STILES, VTILES);
    for (; r0 < length; r0++)
        query_block(q + r0 * ld, v, ld, kt, stride, length, head_dim, s, mask, p ? p + r0 * length : block,
                    c + r0 * ldc, ldc, p != NULL, 1, 4, VTILES);
}

static AVX512 int attention_head_avx512(const float *q, const float *k, const float *v, size_t ld, size_t length,
                                        size_t head_dim, float scale, const float *mask, float *probabilities,
                                        float *context, size_t ldc) {
    size_t stride = (length + 15) / 16 * 16;
    // Kᵀ, then (without a probabilities buffer) one row block of P, 8 rows at most.
    float *kt = key_scratch(head_dim * stride + (probabilities ? 0 : 8 * length));
    if (!kt) return 0;
    pack_keys(k, ld, length, head_dim, kt, stride);
    float *block = kt + head_dim * stride;
    __m512 s = _mm512_set1_ps(scale);
    switch (head_dim / 16) {
    case 1: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 1); break;
    case 2: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 2); break;
    case 3: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 3); break;
    default: head_rows(q, v, ld, kt, stride, length, head_dim, s, mask, probabilities, block, context, ldc, 4); break;
    }
    return 1;
}

int bertkit_attention_head_supported(size_t head_dim) {
    switch (bertkit_internal_isa()) {
    case 2: return head_dim > 0 && head_dim % 16 == 0 && head_dim <= 64;
    case 1: return head_dim > 0 && head_dim % 8 == 0 && head_dim <= 64;
    default: return 0;
    }
}

int bertkit_attention_head(const float *q, const float *k, const float *v, size_t ld, size_t length,
                           size_t head_dim, float scale, const float *mask, float *probabilities,
                           float *context, size_t ldc) {
    if (!bertkit_attention_head_supported(head_dim) || length == 0) return 0;
    if (bertkit_internal_isa() == 1)
        return bertkit_attention_head_avx2(q, k, v, ld, length, head_dim, scale, mask, probabilities, context, ldc);
    return attention_head_avx512(q, k, v, ld, length, head_dim, scale, mask, probabilities, context, ldc);
}

#else

int bertkit_attention_head_supported(size_t head_dim) { return 0; }

int bertkit_attention_head(const float *q, const float *k, const float *v, size_t ld, size_t length,
                           size_t head_dim, float scale, const float *mask, float *probabilities,
                           float *context, size_t ldc) {
    return 0;
}
#endif
