// See COneDNN.h.
#include "COneDNN.h"

#if defined(__has_include)
#if __has_include(<oneapi/dnnl/dnnl.h>)
#define BERTKIT_HAVE_DNNL 1
#endif
#endif

#ifdef BERTKIT_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

// One CPU engine for the process; engines may be shared between threads.
static dnnl_engine_t engine;
static int engine_ok;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void create_engine(void) {
    engine_ok = dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success;
}

// oneDNN's OpenMP build runs each call on omp_get_max_threads() threads. BertKit gives each
// call one core, so each calling thread sets its own OpenMP thread count to 1 once. The
// runtime is found with dlsym: it is loaded with oneDNN, and absent from other builds.
static __thread int thread_ready;

static void prepare_thread(void) {
    if (thread_ready) return;
    void (*set_threads)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (set_threads) set_threads(1);
    thread_ready = 1;
}

void bertkit_dnnl_limit_isa(int limit) {
    // Before the first primitive, as oneDNN requires; later calls change nothing.
    if (limit == 0) dnnl_set_max_cpu_isa(dnnl_cpu_isa_sse41);
    if (limit == 1) dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx2);
}

int bertkit_dnnl_available(void) {
    pthread_once(&engine_once, create_engine);
    return engine_ok;
}

const char *bertkit_dnnl_version(void) {
    static char text[32];
    const dnnl_version_t *v = dnnl_version();
    snprintf(text, sizeof text, "%d.%d.%d", v->major, v->minor, v->patch);
    return text;
}

const char *bertkit_dnnl_isa(void) {
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_sse41: return "sse41";
    default: return "none";
    }
}

int bertkit_dnnl_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                       const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    prepare_thread();
    return dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        != dnnl_success;
}

int bertkit_dnnl_gemm_u8s8s32(int trans_b, int64_t m, int64_t n, int64_t k,
                              const uint8_t *a, int64_t lda, const int8_t *b, int64_t ldb,
                              int32_t *c, int64_t ldc) {
    prepare_thread();
    int32_t zero = 0;
    return dnnl_gemm_u8s8s32('N', trans_b ? 'T' : 'N', 'F', m, n, k, 1.0f, a, lda, 0, b, ldb, 0, 0.0f, c, ldc, &zero)
        != dnnl_success;
}

// bf16 products use the matmul primitive with the row count M given at run time, so one
// primitive serves every batch. Primitives are cached per thread: in oneDNN's default build a
// primitive must run on the thread that created it.
typedef struct {
    int trans_a, trans_b, accumulate;
    int64_t n, k, lda, ldb, ldc;
    dnnl_primitive_t primitive;
} bf16_entry;

enum { CACHE_SIZE = 64 };
static __thread bf16_entry cache[CACHE_SIZE];
static __thread int cache_count, cache_next;
static __thread dnnl_stream_t stream;

// src [m×k] (strides for op(A)), weights [k×n] (for op(B)), dst [m×n] f32.
static void describe(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb,
                     int64_t ldc, dnnl_memory_desc_t *src, dnnl_memory_desc_t *weights, dnnl_memory_desc_t *dst) {
    dnnl_dims_t src_dims = {m, k}, weight_dims = {k, n}, dst_dims = {m, n};
    dnnl_dims_t src_strides = {trans_a ? 1 : lda, trans_a ? lda : 1};
    dnnl_dims_t weight_strides = {trans_b ? 1 : ldb, trans_b ? ldb : 1};
    dnnl_dims_t dst_strides = {ldc, 1};
    dnnl_memory_desc_init_by_strides(src, 2, src_dims, dnnl_bf16, src_strides);
    dnnl_memory_desc_init_by_strides(weights, 2, weight_dims, dnnl_bf16, weight_strides);
    dnnl_memory_desc_init_by_strides(dst, 2, dst_dims, dnnl_f32, dst_strides);
}

static bf16_entry *bf16_primitive(int trans_a, int trans_b, int64_t n, int64_t k, int64_t lda, int64_t ldb,
                                  int64_t ldc, int accumulate) {
    for (int i = 0; i < cache_count; i++) {
        bf16_entry *e = &cache[i];
        if (e->trans_a == trans_a && e->trans_b == trans_b && e->n == n && e->k == k && e->lda == lda
            && e->ldb == ldb && e->ldc == ldc && e->accumulate == accumulate)
            return e;
    }
    if (!bertkit_dnnl_available()) return NULL;
    dnnl_memory_desc_t src, weights, dst;
    describe(trans_a, trans_b, DNNL_RUNTIME_DIM_VAL, n, k, lda, ldb, ldc, &src, &weights, &dst);
    dnnl_matmul_desc_t desc;
    if (dnnl_matmul_desc_init(&desc, &src, &weights, NULL, &dst) != dnnl_success) return NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    if (accumulate) {
        dnnl_primitive_attr_create(&attr);
        dnnl_post_ops_create(&post_ops);
        dnnl_post_ops_append_sum(post_ops, 1.0f);
        dnnl_primitive_attr_set_post_ops(attr, post_ops);
    }
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t status = dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL);
    if (post_ops) dnnl_post_ops_destroy(post_ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (status != dnnl_success) return NULL;
    dnnl_primitive_t primitive = NULL;
    status = dnnl_primitive_create(&primitive, pd);
    dnnl_primitive_desc_destroy(pd);
    if (status != dnnl_success) return NULL;
    // Replace the oldest entry when full.
    bf16_entry *e;
    if (cache_count < CACHE_SIZE) e = &cache[cache_count++];
    else {
        e = &cache[cache_next];
        cache_next = (cache_next + 1) % CACHE_SIZE;
        dnnl_primitive_destroy(e->primitive);
    }
    *e = (bf16_entry){trans_a, trans_b, accumulate, n, k, lda, ldb, ldc, primitive};
    return e;
}

int bertkit_dnnl_gemm_bf16(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                           const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb,
                           int accumulate, float *c, int64_t ldc) {
    prepare_thread();
    bf16_entry *e = bf16_primitive(trans_a, trans_b, n, k, lda, ldb, ldc, accumulate);
    if (!e) return 1;
    if (!stream && dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) return 1;
    dnnl_memory_desc_t src, weights, dst;
    describe(trans_a, trans_b, m, n, k, lda, ldb, ldc, &src, &weights, &dst);
    dnnl_memory_t src_mem = NULL, weight_mem = NULL, dst_mem = NULL;
    int failed = dnnl_memory_create(&src_mem, &src, engine, (void *)a) != dnnl_success
        || dnnl_memory_create(&weight_mem, &weights, engine, (void *)b) != dnnl_success
        || dnnl_memory_create(&dst_mem, &dst, engine, c) != dnnl_success;
    if (!failed) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, weight_mem}, {DNNL_ARG_DST, dst_mem}};
        failed = dnnl_primitive_execute(e->primitive, stream, 3, args) != dnnl_success
            || dnnl_stream_wait(stream) != dnnl_success;
    }
    if (src_mem) dnnl_memory_destroy(src_mem);
    if (weight_mem) dnnl_memory_destroy(weight_mem);
    if (dst_mem) dnnl_memory_destroy(dst_mem);
    return failed;
}

const char *bertkit_dnnl_bf16_impl(void) {
    static char text[64];
    if (!bertkit_dnnl_available()) return "";
    dnnl_memory_desc_t src, weights, dst;
    describe(0, 1, DNNL_RUNTIME_DIM_VAL, 384, 384, 384, 384, 384, &src, &weights, &dst);
    dnnl_matmul_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    if (dnnl_matmul_desc_init(&desc, &src, &weights, NULL, &dst) != dnnl_success
        || dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL) != dnnl_success)
        return "";
    const char *impl = "";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(text, sizeof text, "%s", impl);
    dnnl_primitive_desc_destroy(pd);
    return text;
}

#else

void bertkit_dnnl_limit_isa(int limit) { (void)limit; }
int bertkit_dnnl_available(void) { return 0; }
const char *bertkit_dnnl_version(void) { return ""; }
const char *bertkit_dnnl_isa(void) { return "none"; }
int bertkit_dnnl_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                       int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) { return 1; }
int bertkit_dnnl_gemm_bf16(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const uint16_t *a, int64_t lda,
                           const uint16_t *b, int64_t ldb, int accumulate, float *c, int64_t ldc) { return 1; }
const char *bertkit_dnnl_bf16_impl(void) { return ""; }
int bertkit_dnnl_gemm_u8s8s32(int trans_b, int64_t m, int64_t n, int64_t k, const uint8_t *a, int64_t lda,
                              const int8_t *b, int64_t ldb, int32_t *c, int64_t ldc) { return 1; }

#endif
