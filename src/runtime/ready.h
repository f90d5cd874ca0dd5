/* Health and readiness: what GET /healthz and GET /readyz answer.
 *
 * /healthz is about this process: 200 while it serves, 503 from the
 * moment a SIGTERM starts the drain (sgw_ready_drain), so that a load
 * balancer stops sending before the listener closes.
 *
 * /readyz is about what the gateway needs: 200 once the workers serve the
 * first generation (sgw_ready_serving) and every registered dependency
 * answered its last check; else 503 naming what is not ready. A feature
 * that depends on something outside (Redis, an STS endpoint) registers a
 * probe for it when it is configured:
 *
 *   static void check(sgw_probe_t *p, void *ud) {
 *     ... start a check on sgw_probe_loop(p) ...;
 *     later: sgw_probe_done(p, ok, ok ? NULL : "why");
 *   }
 *   sgw_ready_add("redis", check, close_fn, ud);
 *
 * Probes run on the main thread's loop every SGW_READY_INTERVAL_MS (the
 * first check as soon as the loop runs), never more than one check of a
 * probe at a time; a check that is still running when the next is due is
 * left to finish (its own timeout bounds it). Requests only read the last
 * results, so /readyz costs no I/O and cannot be used to flood a
 * dependency. A probe is not ready until its first check passed.
 *
 * Threads: sgw_ready_add, _remove, sgw_probe_done and everything a check
 * does run on the main thread (the loop given to sgw_ready_start). The
 * answers (sgw_ready_healthz, sgw_ready_readyz) may be built on any
 * thread. */
#ifndef SGW_READY_H
#define SGW_READY_H

#include <stddef.h>
#include <uv.h>

#include "signgw/buf.h"

#define SGW_READY_INTERVAL_MS 1000
#define SGW_READY_MAX_NAME 32
#define SGW_READY_MAX_WHY 200

typedef struct sgw_probe_s sgw_probe_t;

/* Starts one check of the probe. It must end with exactly one
 * sgw_probe_done(p, ...), from inside this call or later on the loop.
 * The check must bound its own time (a timeout shorter than the
 * interval). */
typedef void (*sgw_probe_check_cb)(sgw_probe_t *p, void *ud);
/* The probe is removed (or the process stops): cancel a running check,
 * free ud. A sgw_probe_done called from inside it is ignored. */
typedef void (*sgw_probe_close_cb)(void *ud);

/* Registers dependency `name` (1 to SGW_READY_MAX_NAME of [A-Za-z0-9_.-]).
 * Returns 0, SGW_EINVAL (bad name, or one already registered) or
 * SGW_ENOMEM; on failure close(ud) is not called. */
int sgw_ready_add(const char *name, sgw_probe_check_cb check,
                  sgw_probe_close_cb close, void *ud);
/* Unregisters it (its close runs now). Returns 0 or SGW_ENOENT. */
int sgw_ready_remove(const char *name);

/* Ends the running check: ok, or not with a short reason (copied; it is
 * shown to clients metrics.allow admits, so it must not hold secrets). */
void sgw_probe_done(sgw_probe_t *p, int ok, const char *why);
/* The loop checks run on. */
uv_loop_t *sgw_probe_loop(const sgw_probe_t *p);

/* ---- the process's side ---- */

/* Starts checking on `loop` (the main thread's). */
int sgw_ready_start(uv_loop_t *loop);
/* The workers serve the first generation. */
void sgw_ready_serving(void);
/* SIGTERM: /healthz and /readyz answer 503 from now on. */
void sgw_ready_drain(void);
/* Stops checking and removes every probe. Runs the loop until their
 * handles are closed. */
void sgw_ready_stop(void);

/* The answers: the status (200 or 503) and a JSON body appended to out.
 * `detail` adds the reason each failing probe gave. */
int sgw_ready_healthz(sgw_buf_t *out);
int sgw_ready_readyz(sgw_buf_t *out, int detail);

#endif
