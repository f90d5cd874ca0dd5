/* Settings the C core reads from the config table: where to listen, how
 * many workers, and the limits that protect the server. Everything else in
 * the config belongs to the scripts. */
#ifndef SGW_SETTINGS_H
#define SGW_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/obs_settings.h"
#include "server/limits.h"
#include "server/listen.h"

struct lua_State;

/* config.dev: the local dev bucket (src/dev/bucket.h). */
enum {
  SGW_DEV_AUTO, /* on only while no COS credentials are set */
  SGW_DEV_ON,   /* on, also with real credentials: asked for explicitly */
  SGW_DEV_OFF
};

typedef struct sgw_dev_settings_s {
  int mode;                 /* SGW_DEV_* (dev.enabled) */
  char host[64];            /* dev.listen: a loopback address */
  int port;
  char data_dir[1024];      /* dev.data_dir, relative to the working dir */
  uint64_t max_size;        /* dev.max_size: the largest object */
  char bucket[72];          /* its name: cos.bucket */
} sgw_dev_settings_t;

typedef struct sgw_settings_s {
  sgw_listen_spec_t listen[SGW_LISTEN_MAX]; /* plain HTTP or TLS each */
  int nlisten;
  int workers;              /* 0: one per CPU */
  sgw_limits_t limits;
  sgw_dev_settings_t dev;
  sgw_obs_settings_t obs;   /* metrics, access_log, health */
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

/* Makes "HOST:PORT" or "[V6]:PORT" (the -l option) the one listen entry:
 * TLS when SGW_TLS_CERT and SGW_TLS_KEY are set, else plain HTTP. */
int sgw_settings_listen(sgw_settings_t *s, const char *listen, char *err,
                        size_t errlen);

/* Whether two settings listen on the same addresses with the same TLS
 * use (the certificate paths may differ). */
int sgw_settings_same_listen(const sgw_settings_t *a,
                             const sgw_settings_t *b);

#endif
