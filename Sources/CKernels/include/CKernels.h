// Element-wise kernels that are bound by arithmetic, not memory: exp for softmax, GELU and its
// derivative, AdamW's square roots and quotients. Written in C so that each is built for AVX-512, AVX2+FMA and the baseline, and the
// widest one this CPU has is picked at run time; Swift can only target one CPU for a whole build.
// Tensor's kernels call these; no Swift API lives here.
#ifndef BERTKIT_CKERNELS_H
#define BERTKIT_CKERNELS_H

#include <stddef.h>

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
///   p ← p·decay;  m ← m + w·(g − m) (w < ½) or g − (g − m)·(1 − w);  v ← v·β₂ + ((1 − β₂)·g)·g;
///   p ← p + (step·m) / (√v / bc2 + ε)
void bertkit_adamw(float *p, const float *g, float *m, float *v, size_t n,
                   float decay, float lerp_weight, float beta2, float one_minus_beta2,
                   float bias_correction2_sqrt, float negative_step_size, float eps);

/// The instruction set the kernels run with: "avx512", "avx2" or "baseline". The widest this CPU
/// has, unless bertkit_select_kernel_isa chose another.
const char *bertkit_kernel_isa(void);

/// Runs the kernels with `name` ("avx512", "avx2", "baseline") from now on, for tests that compare
/// the builds. Returns 0, changing nothing, when the CPU lacks it. Not for use while kernels run.
int bertkit_select_kernel_isa(const char *name);

#ifdef __cplusplus
}
#endif

#endif
