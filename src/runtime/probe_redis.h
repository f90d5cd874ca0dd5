/* A readiness probe for a Redis server: PING every interval over a pool
 * of one connection on the main thread's loop (src/client/redis.h). */
#ifndef SGW_PROBE_REDIS_H
#define SGW_PROBE_REDIS_H

#include <stddef.h>

/* Registers probe `name` for the server at `url` (redis://...). Returns 0,
 * or a negative code with the reason in err (never the URL: it may hold a
 * password). */
int sgw_probe_redis_add(const char *name, const char *url, char *err,
                        size_t errlen);

#endif
