/* Settings the C core reads from the config table: where to listen, how
 * many workers, and the limits that protect the server. Everything else in
 * the config belongs to the scripts. */
#ifndef SGW_SETTINGS_H
#define SGW_SETTINGS_H

#include <stddef.h>

#include "server/limits.h"

struct lua_State;


typedef struct sgw_settings_s {
  char host[64];
  int port;
  int workers;              /* 0: one per CPU */
  sgw_limits_t limits;
} sgw_settings_t;

/* Fills `s` from the table at `idx` (defaults for absent fields). Returns
 * 0, or SGW_EINVAL with a message naming the field in `err`. Reads the
 * config's tables and their metamethods: call it inside a protected call
 * (it may raise, e.g. out of memory). */
int sgw_settings_read(struct lua_State *L, int idx, sgw_settings_t *s,
                      char *err, size_t errlen);

/* Pushes the optional setting t[key] of the table at `idx` and returns its
 * type. A key absent from the table itself is asked of its __index; if
 * that raises (a "strict" table refusing keys it does not have), the
 * setting is absent: nil. Out of memory is raised. Call it inside a
 * protected call. */
int sgw_settings_field(struct lua_State *L, int idx, const char *key);

/* Parses "HOST:PORT" or "[V6]:PORT" into s->host/s->port. */
int sgw_settings_listen(sgw_settings_t *s, const char *listen, char *err,
                        size_t errlen);

#endif
