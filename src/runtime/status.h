/* Process-wide reload counters, written by the main thread and read by
 * scripts on any worker (gw.status()). */
#ifndef SGW_STATUS_H
#define SGW_STATUS_H

#include <stdatomic.h>

typedef struct sgw_status_s {
  atomic_uint generation;      /* the generation new requests run on */
  atomic_uint reloads;         /* successful reloads */
  atomic_uint failed_reloads;  /* reloads refused for an error */
  int workers;
} sgw_status_t;

#endif
