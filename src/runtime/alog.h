/* The access log's writer: one thread that writes what the workers hand
 * it to stdout or a file, so that no worker ever waits on a disk or a
 * pipe.
 *
 * A worker formats lines into a buffer of its own (no lock) and hands the
 * whole buffer over when it is large or a second has passed
 * (sgw_alog_submit: one lock per chunk, not per line). The writer writes
 * chunks in the order they came. sgw_alog_reopen (SIGUSR1) makes it open
 * the file again by its name: after logrotate renamed it, lines handed
 * over from then on go to the new file; none is lost.
 *
 * If the destination cannot keep up (a full disk, a pipe nobody reads),
 * at most SGW_ALOG_MAX_QUEUED bytes wait; beyond that chunks are dropped,
 * their lines counted (sgw_alog_dropped) and the loss logged, rather than
 * letting memory grow or workers stall.
 *
 * Ownership: sgw_alog_open allocates the log and starts its thread;
 * sgw_alog_close writes what is queued, stops the thread and frees it.
 * Submitting and reopening are safe from any thread until then. */
#ifndef SGW_ALOG_H
#define SGW_ALOG_H

#include <stddef.h>
#include <stdint.h>

#include "signgw/buf.h"

#define SGW_ALOG_MAX_QUEUED (64u << 20)

typedef struct sgw_alog_s sgw_alog_t;

/* Opens `dest` ("-" for stdout, else a file path, created 0640 if absent
 * and appended to) and starts the writer. Returns 0, or a negative code
 * with the reason in err. */
int sgw_alog_open(const char *dest, sgw_alog_t **out, char *err,
                  size_t errlen);

/* Hands over b's bytes (complete lines): the log takes b's memory and b
 * is left empty (base NULL). Never blocks on I/O. */
void sgw_alog_submit(sgw_alog_t *a, sgw_buf_t *b);

/* Asks the writer to open the file again by name (no-op for stdout).
 * Async-signal-unsafe: call it from a loop's signal handler. */
void sgw_alog_reopen(sgw_alog_t *a);

/* Lines dropped so far because the destination could not keep up or
 * failed. */
uint64_t sgw_alog_dropped(sgw_alog_t *a);

/* Writes everything queued, stops the writer, closes the file. */
void sgw_alog_close(sgw_alog_t *a);

#endif
