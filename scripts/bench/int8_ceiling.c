// How fast one core can run the instruction mixes an int8 product without VNNI is built from, in
// register-only loops (no memory traffic but 4-byte broadcasts): the ceiling `int8.c` is measured
// against. Each loop does 192 multiply-adds per iteration (6 rows × 16 columns × 2 of k, as
// `gemm_avx2`), counted as 384 operations. Not part of the package; docs/benchmarks.md (issue 26)
// quotes it. x86-64 with AVX2 only.
//
//   clang -O2 scripts/bench/int8_ceiling.c -o /tmp/int8_ceiling && /tmp/int8_ceiling
//
//   madd         12 vpmaddwd: the multiply pipes alone (an exact 8-bit product with a fused
//                accumulate, as VNNI's vpdpwssd, would run at this rate)
//   madd+add     12 vpmaddwd, 12 vpaddd: the exact 16-bit kernel's arithmetic
//   bcast+madd+add  the same with the 6 broadcasts of A: `gemm_avx2`'s loop without its loads of W
//   maddubs      per 384 multiply-adds, 12 vpmaddubsw + 12 vpmaddwd (by ones) + 12 vpaddd: the
//                u8·s8 kernel, which needs one operand in 7 bits to stay exact
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "harness.h"

// acc0…acc11 are ymm0…ymm11; W is ymm12, ymm13; A's word is ymm14; ymm15 is a product. The values
// are whatever the registers hold: these instructions take the same time for any operands.
__asm__(
    ".text\n"
    ".macro pair a0, a1, broadcast, add\n"
    "  .if \\broadcast\n  vpbroadcastd (%rsi), %ymm14\n  .endif\n"
    "  vpmaddwd %ymm12, %ymm14, %ymm15\n"
    "  .if \\add\n  vpaddd %ymm15, %ymm\\a0, %ymm\\a0\n  .endif\n"
    "  vpmaddwd %ymm13, %ymm14, %ymm15\n"
    "  .if \\add\n  vpaddd %ymm15, %ymm\\a1, %ymm\\a1\n  .endif\n"
    ".endm\n"
    ".macro loop name, broadcast, add\n"
    "  .globl \\name\n"
    "\\name:\n"
    "  vpxor %ymm14, %ymm14, %ymm14\n"
    "  .p2align 6\n1:\n"
    "  pair 0, 1, \\broadcast, \\add\n  pair 2, 3, \\broadcast, \\add\n  pair 4, 5, \\broadcast, \\add\n"
    "  pair 6, 7, \\broadcast, \\add\n  pair 8, 9, \\broadcast, \\add\n  pair 10, 11, \\broadcast, \\add\n"
    "  dec %rdi\n  jnz 1b\n  vzeroupper\n  ret\n"
    ".endm\n"
    "loop int8_ceiling_madd, 0, 0\n"
    "loop int8_ceiling_madd_add, 0, 1\n"
    "loop int8_ceiling_bcast_madd_add, 1, 1\n"
    // u8·s8: two k-quads of 6 rows per iteration = 384 multiply-adds.
    ".globl int8_ceiling_maddubs\n"
    "int8_ceiling_maddubs:\n"
    "  vpxor %ymm14, %ymm14, %ymm14\n"
    "  .p2align 6\n2:\n"
    "  .irp a, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11\n"
    "  vpmaddubsw %ymm12, %ymm14, %ymm15\n  vpmaddwd %ymm13, %ymm15, %ymm15\n  vpaddd %ymm15, %ymm\\a, %ymm\\a\n"
    "  .endr\n"
    "  dec %rdi\n  jnz 2b\n  vzeroupper\n  ret\n");

void int8_ceiling_madd(long iterations, const void *a);
void int8_ceiling_madd_add(long iterations, const void *a);
void int8_ceiling_bcast_madd_add(long iterations, const void *a);
void int8_ceiling_maddubs(long iterations, const void *a);

int main(void) {
    static int32_t a[8];
    const long iterations = 100000000;
    struct { const char *name; void (*loop)(long, const void *); double ops; } loops[] = {
        {"madd", int8_ceiling_madd, 384},
        {"madd+add", int8_ceiling_madd_add, 384},
        {"bcast+madd+add", int8_ceiling_bcast_madd_add, 384},
        {"maddubs (7-bit)", int8_ceiling_maddubs, 768},
    };
    for (int i = 0; i < 4; i++) {
        double best = 1e30;
        for (int r = 0; r < 5; r++) {
            double t0 = now();
            loops[i].loop(iterations, a);
            double t = now() - t0;
            if (t < best) best = t;
        }
        printf("%-16s %6.1f GOP/s\n", loops[i].name, loops[i].ops * iterations / best * 1e-9);
    }
    return 0;
}
