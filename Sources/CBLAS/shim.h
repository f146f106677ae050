// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). No Swift API lives here.
#include <cblas.h>
