/* Runs a parsed request through the current generation: finds its route,
 * starts the handler in a coroutine, resumes it when a wait ends, and
 * turns what it returns into a response. */
#ifndef SGW_DISPATCH_H
#define SGW_DISPATCH_H

#include <stdint.h>

#include "runtime/request.h"

struct sgw_conn_s;

/* Starts the current request of `c`. The response is sent now, or later
 * when the handler's waits are over. */
void sgw_dispatch(struct sgw_conn_s *c);

/* A wait that the handler yielded on is over: resume the coroutine with
 * the `nargs` values already pushed on r->co. */
void sgw_dispatch_resume(sgw_request_t *r, int nargs);

/* gw.sleep: resumes the request's handler after `ms` milliseconds. The
 * caller yields right after. */
void sgw_dispatch_sleep(sgw_request_t *r, uint64_t ms);

/* The client went away: drop the handler without answering. */
void sgw_dispatch_abort(sgw_request_t *r);

#endif
