// Open MPI, loaded at run time (dlopen of libmpi.so.40): no header and no library is needed to build,
// and a process that is not started by mpirun never loads it. No Swift API beyond these calls.
//
// Every call returns 0 on success, else an MPI error code (or -1 when the library is not loaded);
// cmpi_error_text describes the last failure.
#ifndef CMPI_H
#define CMPI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads `library` (NULL: libmpi.so.40, then libmpi.so) and resolves the functions and the
/// predefined handles (ompi_mpi_comm_world, ompi_mpi_float, ompi_mpi_op_sum, …).
int cmpi_load(const char *library);
/// MPI_Init_thread(FUNNELED), errors returned instead of aborting; the rank and size of MPI_COMM_WORLD.
int cmpi_init(int *rank, int *size);
int cmpi_finalize(void);
/// MPI_Abort on MPI_COMM_WORLD: ends every rank.
int cmpi_abort(int code);

// The collectives take a communicator: NULL is MPI_COMM_WORLD, else one cmpi_comm_split made.

/// MPI_Comm_split of `comm`: the ranks with the same `color`, ordered by `key`; the new
/// communicator in `*out`, this process's rank and the size in it.
int cmpi_comm_split(void *comm, int color, int key, void **out, int *rank, int *size);
/// The ranks of MPI_COMM_WORLD that share this host's memory (MPI_Comm_split_type, MPI_COMM_TYPE_SHARED),
/// in world order.
int cmpi_comm_split_host(void **out, int *rank, int *size);
int cmpi_barrier(void *comm);

/// In-place sums over all ranks.
int cmpi_allreduce_sum_float(void *comm, float *values, int count);
int cmpi_allreduce_sum_double(void *comm, double *values, int count);
/// Starts an in-place sum; `*request` is then waited on with cmpi_test or cmpi_wait.
int cmpi_iallreduce_sum_float(void *comm, float *values, int count, void **request);
int cmpi_iallreduce_sum_double(void *comm, double *values, int count, void **request);
/// Drives progress; `*done` becomes 1 when the request has completed.
int cmpi_test(void **request, int *done);
int cmpi_wait(void **request);

int cmpi_bcast_bytes(void *comm, void *bytes, int count, int root);
/// Each rank's int, gathered on `root` into `all` (size ints there).
int cmpi_gather_int(void *comm, int value, int *all, int root);
/// Variable-length bytes gathered on `root` at `displacements`.
int cmpi_gatherv_bytes(void *comm, const void *bytes, int count, void *all, const int *counts, const int *displacements, int root);
/// Every rank's `count` floats gathered on every rank at `displacements`.
int cmpi_allgatherv_float(void *comm, const float *values, int count, float *all, const int *counts, const int *displacements);

/// The text of the last failure (dlopen, dlsym or an MPI error string).
const char *cmpi_error_text(void);

#ifdef __cplusplus
}
#endif

#endif
