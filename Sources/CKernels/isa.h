// Shared by the kernel files, not part of CKernels' interface.
#ifndef BERTKIT_ISA_H
#define BERTKIT_ISA_H

/// 0 baseline, 1 AVX2+FMA, 2 AVX-512 (F+VL): what bertkit_kernel_isa names.
int bertkit_internal_isa(void);

/// The attribute of a function compiled for AVX-512 (F+VL), called only where bertkit_internal_isa() is 2.
#define AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))

#endif
