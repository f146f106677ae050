// See CMPI.h. Open MPI's handles are pointers to exported objects (MPI_COMM_WORLD is
// &ompi_mpi_comm_world, MPI_FLOAT &ompi_mpi_float, MPI_SUM &ompi_mpi_op_sum), so dlsym gives them;
// MPI_IN_PLACE is (void *)1 and MPI_STATUS_IGNORE NULL in Open MPI's mpi.h.
#include "CMPI.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef void *handle;
#define IN_PLACE ((void *)1)
#define THREAD_FUNNELED 1

static void *library;
static char error_text[512];

static handle comm_world, info_null, type_float, type_double, type_byte, type_int, op_sum, errors_return;
static int (*p_init_thread)(int *, char ***, int, int *);
static int (*p_initialized)(int *);
static int (*p_finalize)(void);
static int (*p_abort)(handle, int);
static int (*p_comm_rank)(handle, int *);
static int (*p_comm_size)(handle, int *);
static int (*p_comm_set_errhandler)(handle, handle);
static int (*p_comm_split)(handle, int, int, handle *);
static int (*p_comm_split_type)(handle, int, int, handle, handle *);
static int (*p_barrier)(handle);
static int (*p_allreduce)(const void *, void *, int, handle, handle, handle);
static int (*p_iallreduce)(const void *, void *, int, handle, handle, handle, void **);
static int (*p_test)(void **, int *, void *);
static int (*p_wait)(void **, void *);
static int (*p_bcast)(void *, int, handle, int, handle);
static int (*p_gather)(const void *, int, handle, void *, int, handle, int, handle);
static int (*p_gatherv)(const void *, int, handle, void *, const int *, const int *, handle, int, handle);
static int (*p_allgatherv)(const void *, int, handle, void *, const int *, const int *, handle, handle);
static int (*p_error_string)(int, char *, int *);

static int resolve(void **slot, const char *name) {
    *slot = dlsym(library, name);
    if (*slot == NULL) {
        snprintf(error_text, sizeof error_text, "symbol %s not found in the MPI library (Open MPI 4 or 5 is needed)", name);
        return -1;
    }
    return 0;
}

int cmpi_load(const char *path) {
    if (library != NULL) return 0;
    // RTLD_GLOBAL: Open MPI's own plugins (mca_*.so) resolve libmpi's symbols from the global scope.
    const char *names[] = {path, "libmpi.so.40", "libmpi.so"};
    for (int i = path ? 0 : 1; i < 3 && library == NULL; i++) library = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) {
        const char *why = dlerror();
        snprintf(error_text, sizeof error_text, "cannot load %s: %s", path ? path : "libmpi.so.40", why ? why : "unknown error");
        return -1;
    }
    int failed = 0;
    failed |= resolve(&comm_world, "ompi_mpi_comm_world");
    failed |= resolve(&type_float, "ompi_mpi_float");
    failed |= resolve(&type_double, "ompi_mpi_double");
    failed |= resolve(&type_byte, "ompi_mpi_byte");
    failed |= resolve(&type_int, "ompi_mpi_int");
    failed |= resolve(&op_sum, "ompi_mpi_op_sum");
    failed |= resolve(&errors_return, "ompi_mpi_errors_return");
    failed |= resolve((void **)&p_init_thread, "MPI_Init_thread");
    failed |= resolve((void **)&p_initialized, "MPI_Initialized");
    failed |= resolve((void **)&p_finalize, "MPI_Finalize");
    failed |= resolve((void **)&p_abort, "MPI_Abort");
    failed |= resolve((void **)&p_comm_rank, "MPI_Comm_rank");
    failed |= resolve((void **)&p_comm_size, "MPI_Comm_size");
    failed |= resolve((void **)&p_comm_set_errhandler, "MPI_Comm_set_errhandler");
    failed |= resolve((void **)&p_comm_split, "MPI_Comm_split");
    failed |= resolve((void **)&p_comm_split_type, "MPI_Comm_split_type");
    failed |= resolve(&info_null, "ompi_mpi_info_null");
    failed |= resolve((void **)&p_barrier, "MPI_Barrier");
    failed |= resolve((void **)&p_allreduce, "MPI_Allreduce");
    failed |= resolve((void **)&p_iallreduce, "MPI_Iallreduce");
    failed |= resolve((void **)&p_test, "MPI_Test");
    failed |= resolve((void **)&p_wait, "MPI_Wait");
    failed |= resolve((void **)&p_bcast, "MPI_Bcast");
    failed |= resolve((void **)&p_gather, "MPI_Gather");
    failed |= resolve((void **)&p_gatherv, "MPI_Gatherv");
    failed |= resolve((void **)&p_allgatherv, "MPI_Allgatherv");
    failed |= resolve((void **)&p_error_string, "MPI_Error_string");
    if (failed) {
        dlclose(library);
        library = NULL;
        return -1;
    }
    return 0;
}

static int check(int code, const char *what) {
    if (code != 0) {
        char text[256] = "";
        int length = 0;
        if (p_error_string == NULL || p_error_string(code, text, &length) != 0) snprintf(text, sizeof text, "error %d", code);
        snprintf(error_text, sizeof error_text, "%s failed: %s", what, text);
    }
    return code;
}

#define LOADED() do { if (library == NULL) { snprintf(error_text, sizeof error_text, "MPI is not loaded"); return -1; } } while (0)

int cmpi_init(int *rank, int *size) {
    LOADED();
    int provided = 0, done = 0;
    p_initialized(&done);
    if (!done && check(p_init_thread(NULL, NULL, THREAD_FUNNELED, &provided), "MPI_Init_thread")) return -1;
    // A failed call returns its code (and we stop with a message naming the rank) instead of
    // MPI_ERRORS_ARE_FATAL's abort without context.
    if (check(p_comm_set_errhandler(comm_world, errors_return), "MPI_Comm_set_errhandler")) return -1;
    if (check(p_comm_rank(comm_world, rank), "MPI_Comm_rank")) return -1;
    return check(p_comm_size(comm_world, size), "MPI_Comm_size");
}

int cmpi_finalize(void) { LOADED(); return check(p_finalize(), "MPI_Finalize"); }
int cmpi_abort(int code) { LOADED(); return p_abort(comm_world, code); }

// A NULL communicator is MPI_COMM_WORLD.
#define COMM(c) ((c) != NULL ? (handle)(c) : comm_world)

int cmpi_comm_split(void *comm, int color, int key, void **out, int *rank, int *size) {
    LOADED();
    handle split = NULL;
    // The new communicator inherits the parent's error handler (errors returned).
    if (check(p_comm_split(COMM(comm), color, key, &split), "MPI_Comm_split")) return -1;
    *out = split;
    if (check(p_comm_rank(split, rank), "MPI_Comm_rank")) return -1;
    return check(p_comm_size(split, size), "MPI_Comm_size");
}

int cmpi_comm_split_host(void **out, int *rank, int *size) {
    LOADED();
    handle split = NULL;
    // MPI_COMM_TYPE_SHARED is the first of Open MPI's split types (0), MPI_INFO_NULL &ompi_mpi_info_null.
    if (check(p_comm_split_type(comm_world, 0, 0, info_null, &split), "MPI_Comm_split_type")) return -1;
    *out = split;
    if (check(p_comm_rank(split, rank), "MPI_Comm_rank")) return -1;
    return check(p_comm_size(split, size), "MPI_Comm_size");
}

int cmpi_barrier(void *comm) { LOADED(); return check(p_barrier(COMM(comm)), "MPI_Barrier"); }

int cmpi_allreduce_sum_float(void *comm, float *values, int count) {
    LOADED();
    return check(p_allreduce(IN_PLACE, values, count, type_float, op_sum, COMM(comm)), "MPI_Allreduce");
}

int cmpi_allreduce_sum_double(void *comm, double *values, int count) {
    LOADED();
    return check(p_allreduce(IN_PLACE, values, count, type_double, op_sum, COMM(comm)), "MPI_Allreduce");
}

int cmpi_iallreduce_sum_float(void *comm, float *values, int count, void **request) {
    LOADED();
    return check(p_iallreduce(IN_PLACE, values, count, type_float, op_sum, COMM(comm), request), "MPI_Iallreduce");
}

int cmpi_iallreduce_sum_double(void *comm, double *values, int count, void **request) {
    LOADED();
    return check(p_iallreduce(IN_PLACE, values, count, type_double, op_sum, COMM(comm), request), "MPI_Iallreduce");
}

int cmpi_test(void **request, int *done) { LOADED(); return check(p_test(request, done, NULL), "MPI_Test"); }
int cmpi_wait(void **request) { LOADED(); return check(p_wait(request, NULL), "MPI_Wait"); }

int cmpi_bcast_bytes(void *comm, void *bytes, int count, int root) {
    LOADED();
    return check(p_bcast(bytes, count, type_byte, root, COMM(comm)), "MPI_Bcast");
}

int cmpi_gather_int(void *comm, int value, int *all, int root) {
    LOADED();
    return check(p_gather(&value, 1, type_int, all, 1, type_int, root, COMM(comm)), "MPI_Gather");
}

int cmpi_gatherv_bytes(void *comm, const void *bytes, int count, void *all, const int *counts, const int *displacements, int root) {
    LOADED();
    return check(p_gatherv(bytes, count, type_byte, all, counts, displacements, type_byte, root, COMM(comm)), "MPI_Gatherv");
}

int cmpi_allgatherv_float(void *comm, const float *values, int count, float *all, const int *counts, const int *displacements) {
    LOADED();
    return check(p_allgatherv(values, count, type_float, all, counts, displacements, type_float, COMM(comm)), "MPI_Allgatherv");
}

const char *cmpi_error_text(void) { return error_text; }
