/* The runtime's side of the server: finds each request's route in the
 * current generation, runs its handler as a task, and turns what the
 * handler returns (or raises) into the answer. Answers the server and
 * the runtime make themselves (404, 405, 413, 500, ...) go through the
 * generation's error handler, so one shape policy covers every answer. */
#ifndef SGW_DISPATCH_H
#define SGW_DISPATCH_H

#include "server/http.h"

struct sgw_worker_s;

/* The callbacks to hand to the server (ud is the worker). */
sgw_http_handler_t sgw_dispatch_handler(struct sgw_worker_s *w);

#endif
