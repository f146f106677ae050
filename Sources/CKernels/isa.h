// Shared by the kernel files, not part of CKernels' interface.
#ifndef BERTKIT_ISA_H
#define BERTKIT_ISA_H

/// 0 baseline, 1 AVX2+FMA, 2 AVX-512 (F+VL): what bertkit_kernel_isa names.
int bertkit_internal_isa(void);

#endif
