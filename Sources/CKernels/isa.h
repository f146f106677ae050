// Shared by the kernel files, not part of CKernels' interface.
#ifndef BERTKIT_ISA_H
#define BERTKIT_ISA_H

#include <stddef.h>

/// 0 baseline, 1 AVX2+FMA, 2 AVX-512 (F+VL): what bertkit_kernel_isa names.
int bertkit_internal_isa(void);

/// The attribute of a function compiled for AVX-512 (F+VL), called only where bertkit_internal_isa() is 2.
#define AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))

/// attention.c's head kernel for AVX2 CPUs (attention_avx2.c), same arguments.
int bertkit_attention_head_avx2(const float *q, const float *k, const float *v, size_t ld, size_t length,
                                size_t head_dim, float scale, const float *mask, float *probabilities,
                                float *context, size_t ldc);

#endif
