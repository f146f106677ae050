// oneDNN's matrix products behind a small C interface: fp32 (dnnl_sgemm), bf16 with fp32
// accumulation (the matmul primitive) and u8·s8 → s32 (dnnl_gemm_u8s8s32). oneDNN picks its
// kernels from the CPU's feature bits (AVX2, AVX-512, AVX512-BF16/VNNI, AMX), not from a table
// of CPU models. Every call runs on the calling thread only: BertKit splits work across cores
// itself. Built without oneDNN (no header found), every function reports "unavailable".
// Tensor's backend calls these; no Swift API lives here.
#ifndef BERTKIT_CONEDNN_H
#define BERTKIT_CONEDNN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Keeps oneDNN's kernels at or below an instruction set (0 SSE4.1, 1 AVX2; others: no limit).
/// Only before the first product.
void bertkit_dnnl_limit_isa(int limit);

/// 1 when BertKit was built against oneDNN and the library answers, else 0.
int bertkit_dnnl_available(void);

/// "2.6.3", or "" when unavailable.
const char *bertkit_dnnl_version(void);

/// The widest instruction set oneDNN's kernels use on this CPU: "avx512_core_amx",
/// "avx512_core_bf16", "avx512_core_vnni", "avx512_core", "avx2_vnni", "avx2", "avx", "sse41"
/// or "none".
const char *bertkit_dnnl_isa(void);

/// Row-major C[m×n] = alpha·op(A)·op(B) + beta·C. Returns 0 on success.
int bertkit_dnnl_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                       const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

/// Row-major C[m×n] (+)= op(A)·op(B) with A and B in bfloat16 (raw uint16 bits) and C in float;
/// accumulates into C when `accumulate` is 1. Returns 0 on success, non-zero when this CPU or
/// build has no bf16 product (the caller falls back).
int bertkit_dnnl_gemm_bf16(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                           const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb,
                           int accumulate, float *c, int64_t ldc);

/// The implementation oneDNN chose for a bf16 product ("gemm:jit", "brg:avx512_core_amx", …),
/// found by creating one; "" when there is none.
const char *bertkit_dnnl_bf16_impl(void);

/// Row-major C[m×n] = A[m×k]·op(B) with A unsigned 8-bit, B signed 8-bit and C 32-bit integers
/// (no offsets: the caller corrects for zero points). Returns 0 on success.
int bertkit_dnnl_gemm_u8s8s32(int trans_b, int64_t m, int64_t n, int64_t k,
                              const uint8_t *a, int64_t lda, const int8_t *b, int64_t ldb,
                              int32_t *c, int64_t ldc);

#ifdef __cplusplus
}
#endif

#endif
