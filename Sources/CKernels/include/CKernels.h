// Element-wise kernels that are bound by arithmetic, not memory: exp for softmax, GELU and its
// derivative, AdamW's square roots and quotients. Written in C so that each is built for AVX-512, AVX2+FMA and the baseline, and the
// widest one this CPU has is picked at run time; Swift can only target one CPU for a whole build.
// Tensor's kernels call these; no Swift API lives here.
#ifndef BERTKIT_CKERNELS_H
#define BERTKIT_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// x[j] = e^(x[j] − shift) for j < n.
void bertkit_exp_shifted(float *x, size_t n, float shift);

/// y[r, j] = gelu(x[r, j] + bias[j]) (exact erf form) for r < rows, j < cols; bias may be NULL.
void bertkit_gelu_forward(const float *x, const float *bias, float *y, size_t rows, size_t cols);

/// dx[r, j] = dy[r, j] · gelu'(x[r, j] + bias[j]); bias may be NULL.
void bertkit_gelu_backward(const float *x, const float *bias, const float *dy, float *dx, size_t rows, size_t cols);

/// One AdamW step in place over n elements (torch.optim.AdamW's single-tensor path), every
/// operation rounded to float where torch rounds, with no fused multiply-adds:
///   g ← g·grad_scale (gradient clipping: the bits clip_grad_norm_ leaves; 1 keeps g exactly);
///   p ← p·decay;  m ← m + w·(g − m) (w < ½) or g − (g − m)·(1 − w);  v ← v·β₂ + ((1 − β₂)·g)·g;
///   p ← p + (step·m) / (√v / bc2 + ε)
void bertkit_adamw(float *p, const float *g, float *m, float *v, size_t n, float grad_scale,
                   float decay, float lerp_weight, float beta2, float one_minus_beta2,
                   float bias_correction2_sqrt, float negative_step_size, float eps);

/// The instruction set named by BERTKIT_ISA ("baseline" 0, "avx2" 1, "avx512" 2): kernels, oneDNN
/// and the reported CPU features stay at or below it. -1 when unset, -3 when it names none of these.
int bertkit_isa_limit(void);

/// The instruction set the kernels run with: "avx512", "avx2" or "baseline". The widest this CPU
/// has, unless bertkit_select_kernel_isa chose another.
const char *bertkit_kernel_isa(void);

/// Runs the kernels with `name` ("avx512", "avx2", "baseline") from now on, for tests that compare
/// the builds. Returns 0, changing nothing, when the CPU lacks it. Not for use while kernels run.
int bertkit_select_kernel_isa(const char *name);

// ---- int8 products without VNNI (int8.c) ----

/// The int16s bertkit_madd16_pack writes for weights of n rows (output columns) of k.
size_t bertkit_madd16_packed_count(size_t n, size_t k);

/// Packs int8 weights w[n×k] (row-major) for bertkit_gemm_u8s8_madd16.
void bertkit_madd16_pack(const int8_t *w, size_t n, size_t k, int16_t *packed);

/// c[m×n] (int32, row stride ldc) = a[m×k] (u8, row stride lda) · wᵀ, exactly: 16-bit operands,
/// pairs of products added in 32 bits (vpmaddwd on AVX2, a plain loop below it), so all 8 bits of
/// the weights are kept without VNNI. Returns 0, or 1 when scratch memory cannot be had.
int bertkit_gemm_u8s8_madd16(size_t m, size_t n, size_t k, const uint8_t *a, size_t lda, const int16_t *packed,
                             int32_t *c, size_t ldc);

// ---- Attention (attention.c) ----

/// Whether bertkit_attention_head runs on this CPU for heads `head_dim` wide: AVX-512 and a
/// multiple of 16 up to 64, or AVX2 and a multiple of 8 up to 64. Follows bertkit_select_kernel_isa.
int bertkit_attention_head_supported(size_t head_dim);

/// One (sequence, head) block of attention, fused: probabilities[i, j] = softmax_j(scale·q_i·k_j +
/// mask[j]) (length × length, row-major; mask may be NULL; a row with every score −∞ gets zeros),
/// and context[i, :] = Σ_j probabilities[i, j]·v_j (row stride ldc). q, k and v hold `length` rows
/// of `head_dim` floats, ld apart. With probabilities NULL they are only kept a few rows at a time
/// in scratch. Returns 0, writing nothing, when not supported.
int bertkit_attention_head(const float *q, const float *k, const float *v, size_t ld, size_t length,
                           size_t head_dim, float scale, const float *mask, float *probabilities,
                           float *context, size_t ldc);

// ---- LayerNorm (layernorm.c) ----

/// Row by row: v = x + bias + residual (bias may be NULL), written to sum (when not NULL) or to
/// out; then out = ((v − mean)·rstd)·gamma + beta, with mean[r] and rstd[r] = 1/√(var + eps)
/// (biased variance). Rows are `cols` floats, contiguous. Returns 0, writing nothing, where it
/// does not run (no AVX-512, or cols not a multiple of 16).
int bertkit_residual_layer_norm(const float *x, const float *bias, const float *residual, const float *gamma,
                                const float *beta, float *sum, float *out, float *mean, float *rstd,
                                size_t rows, size_t cols, float eps);

// ---- Lower precision (precision.c) ----

/// y[i] = x[i] rounded to bfloat16 (nearest, ties to even), as raw bits.
void bertkit_f32_to_bf16(const float *x, uint16_t *y, size_t n);

/// y[i] = the float that bfloat16 x[i] stands for.
void bertkit_bf16_to_f32(const uint16_t *x, float *y, size_t n);

/// Dynamic quantization of a rows × cols matrix, one scale and zero point per row:
/// x ≈ scale[r]·(q − zero[r]), q in 0…255, the row's range widened to hold 0.
void bertkit_quantize_rows_u8(const float *x, size_t rows, size_t cols, uint8_t *q, float *scale, int32_t *zero);

/// Symmetric quantization of a weight matrix, one scale per row (output channel):
/// w ≈ scale[r]·q, q in −max_q…max_q; row_sum[r] = Σ_j q[r, j].
void bertkit_quantize_weights_s8(const float *w, size_t rows, size_t cols, int max_q, int8_t *q, float *scale,
                                 int32_t *row_sum);

/// In place over y (rows × cols, row stride ldy), which holds int32 products Σ_k q_a·q_w:
/// y[r, j] = row_scale[r]·col_scale[j]·(acc − row_zero[r]·col_sum[j]) + bias[j] (bias may be NULL).
void bertkit_dequantize_s32(float *y, size_t rows, size_t cols, size_t ldy, const float *row_scale,
                            const int32_t *row_zero, const float *col_scale, const int32_t *col_sum,
                            const float *bias);

// ---- The CPU (cpu.c) ----

/// The CPU's brand string from CPUID ("AMD EPYC 9B45", "Intel(R) Xeon(R) Platinum 8581C …").
const char *bertkit_cpu_brand(void);

/// CPUID's display family, model and stepping (0 off x86-64).
void bertkit_cpu_signature(int *family, int *model, int *stepping);

/// The vector features that CPUID reports and the operating system has enabled, space-separated:
/// sse4.2 avx fma f16c avx2 avx_vnni avx512f avx512bw avx512vl avx512_vnni avx512_bf16 avx512_fp16 amx_bf16 amx_int8.
const char *bertkit_cpu_features(void);

/// The single-thread rate of fused multiply-adds at the widest vectors this CPU has, in
/// GFLOP/s, measured over about `seconds`: the fp32 ceiling of one core.
double bertkit_fma_peak_gflops(double seconds);

/// The vectors bertkit_fma_peak_gflops used: "avx512", "avx2+fma" or "sse (mul+add)".
const char *bertkit_fma_isa(void);

#ifdef __cplusplus
}
#endif

#endif
