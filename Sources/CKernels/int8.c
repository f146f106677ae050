// int8 products without VNNI: c[m×n] (int32) = a[m×k] (u8) · wᵀ, w[n×k] (s8), exactly.
//
// CPUs before VNNI multiply u8·s8 with vpmaddubsw, which adds pairs of products in 16 bits:
// 255·127·2 overflows, so oneDNN's kernels there need 7-bit weights, and those cost accuracy
// (cosine 0.99 to fp32 was out of reach). Here both operands are widened to 16 bits and
// vpmaddwd adds pairs of 16-bit products in 32 bits, which cannot overflow: every one of the
// 8 bits is kept, and on the CPUs measured it runs as fast as the u8·s8 kernel.
//
// Layout: w is packed once (bertkit_madd16_pack) into blocks of 16 output columns; within a
// block, for each pair of k, the 16 columns' (w[k], w[k+1]) as 32 int16s. A row of a is
// widened on the fly into (a[k], a[k+1]) int32 words, 6 rows at a time; each word is broadcast
// and multiplied with two vectors of 8 columns: 6 rows × 16 columns, 12 accumulators.
#include "CKernels.h"
#include "isa.h"

#include <stdlib.h>
#include <string.h>

enum { ROWS = 6, COLS = 16 };

size_t bertkit_madd16_packed_count(size_t n, size_t k) {
    return (n + COLS - 1) / COLS * ((k + 1) / 2) * COLS * 2;
}

void bertkit_madd16_pack(const int8_t *w, size_t n, size_t k, int16_t *out) {
    size_t pairs = (k + 1) / 2, blocks = (n + COLS - 1) / COLS;
    for (size_t b = 0; b < blocks; b++)
        for (size_t p = 0; p < pairs; p++)
            for (size_t c = 0; c < COLS; c++)
                for (size_t e = 0; e < 2; e++) {
                    size_t col = b * COLS + c, kk = 2 * p + e;
                    out[((b * pairs + p) * COLS + c) * 2 + e] = col < n && kk < k ? w[col * k + kk] : 0;
                }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define HAS_AVX2_KERNELS 1
#endif

#ifdef HAS_AVX2_KERNELS
// The first pairs of a row as words, 8 at a time (16 bytes zero-extended to 16 bits); returns how
// many it wrote. Its own function: the target attribute must not reach the scalar loop below, which
// the compiler would vectorize with AVX2 for CPUs without it.
__attribute__((target("avx2")))
static size_t widen_pairs_avx2(const uint8_t *row, size_t pairs, uint32_t *out) {
    size_t p = 0;
    for (; p + 8 <= pairs; p += 8)
        _mm256_storeu_si256((__m256i *)(out + p), _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(row + 2 * p))));
    return p;
}
#endif

// Rows r0..<r0+ROWS of a as (a[k], a[k+1]) words, rows past m as zeros.
static void widen_rows(const uint8_t *a, size_t lda, size_t m, size_t r0, size_t k, uint32_t *words, int avx2) {
    size_t pairs = (k + 1) / 2;
    for (size_t i = 0; i < ROWS; i++) {
        uint32_t *out = words + i * pairs;
        if (r0 + i >= m) { memset(out, 0, pairs * sizeof *out); continue; }
        const uint8_t *row = a + (r0 + i) * lda;
        size_t p = 0;
#ifdef HAS_AVX2_KERNELS
        if (avx2) p = widen_pairs_avx2(row, k / 2, out);
#else
        (void)avx2;
#endif
        for (; p < k / 2; p++) out[p] = (uint32_t)row[2 * p] | ((uint32_t)row[2 * p + 1] << 16);
        if (k % 2) out[pairs - 1] = row[k - 1];
    }
}

// The words of one thread's 6 rows, grown as needed.
static __thread uint32_t *row_words;
static __thread size_t row_words_capacity;

static uint32_t *words_for(size_t count) {
    if (count > row_words_capacity) {
        free(row_words);
        row_words = malloc(count * sizeof *row_words);
        row_words_capacity = row_words ? count : 0;
    }
    return row_words;
}

// Stores the first `rows` rows and `cols` columns of a 6×16 block of sums.
static inline void store_block(const int32_t sums[ROWS][COLS], size_t rows, size_t cols, int32_t *c, size_t ldc) {
    for (size_t i = 0; i < rows; i++) memcpy(c + i * ldc, sums[i], cols * sizeof(int32_t));
}

static void gemm_baseline(size_t m, size_t n, size_t k, const uint32_t *words, size_t r0, const int16_t *packed,
                          int32_t *c, size_t ldc) {
    size_t pairs = (k + 1) / 2, rows = m - r0 < ROWS ? m - r0 : ROWS;
    for (size_t b = 0; b * COLS < n; b++) {
        const int16_t *w = packed + b * pairs * COLS * 2;
        int32_t sums[ROWS][COLS] = {{0}};
        for (size_t i = 0; i < rows; i++)
            for (size_t p = 0; p < pairs; p++) {
                int32_t lo = (int32_t)(words[i * pairs + p] & 0xFFFF), hi = (int32_t)(words[i * pairs + p] >> 16);
                for (size_t j = 0; j < COLS; j++) sums[i][j] += lo * w[(p * COLS + j) * 2] + hi * w[(p * COLS + j) * 2 + 1];
            }
        store_block(sums, rows, n - b * COLS < COLS ? n - b * COLS : COLS, c + r0 * ldc + b * COLS, ldc);
    }
}

#ifdef HAS_AVX2_KERNELS
__attribute__((target("avx2,fma")))
static void gemm_avx2(size_t m, size_t n, size_t k, const uint32_t *words, size_t r0, const int16_t *packed,
                      int32_t *c, size_t ldc) {
    size_t pairs = (k + 1) / 2, rows = m - r0 < ROWS ? m - r0 : ROWS;
    for (size_t b = 0; b * COLS < n; b++) {
        const int16_t *w = packed + b * pairs * COLS * 2;
        __m256i acc[ROWS][2];
        for (int i = 0; i < ROWS; i++) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
        for (size_t p = 0; p < pairs; p++) {
            __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + p * 32));
            __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + p * 32 + 16));
            for (int i = 0; i < ROWS; i++) {
                __m256i x = _mm256_set1_epi32((int32_t)words[i * pairs + p]);
                acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(x, w0));
                acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(x, w1));
            }
        }
        int32_t *out = c + r0 * ldc + b * COLS;
        if (rows == ROWS && n - b * COLS >= COLS) {   // a whole block: straight to c
            for (int i = 0; i < ROWS; i++) {
                _mm256_storeu_si256((__m256i *)(out + i * ldc), acc[i][0]);
                _mm256_storeu_si256((__m256i *)(out + i * ldc + 8), acc[i][1]);
            }
            continue;
        }
        int32_t sums[ROWS][COLS];
        for (int i = 0; i < ROWS; i++) {
            _mm256_storeu_si256((__m256i *)sums[i], acc[i][0]);
            _mm256_storeu_si256((__m256i *)(sums[i] + 8), acc[i][1]);
        }
        store_block(sums, rows, n - b * COLS < COLS ? n - b * COLS : COLS, out, ldc);
    }
}
#endif

int bertkit_gemm_u8s8_madd16(size_t m, size_t n, size_t k, const uint8_t *a, size_t lda, const int16_t *packed,
                             int32_t *c, size_t ldc) {
    size_t pairs = (k + 1) / 2;
    uint32_t *words = words_for(ROWS * (pairs ? pairs : 1));
    if (!words) return 1;
    int avx2 = bertkit_internal_isa() >= 1;
    for (size_t r0 = 0; r0 < m; r0 += ROWS) {
        widen_rows(a, lda, m, r0, k, words, avx2);
#ifdef HAS_AVX2_KERNELS
        if (avx2) {
            gemm_avx2(m, n, k, words, r0, packed, c, ldc);
            continue;
        }
#endif
        gemm_baseline(m, n, k, words, r0, packed, c, ldc);
    }
    return 0;
}
