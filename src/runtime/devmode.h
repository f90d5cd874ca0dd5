/* Dev mode: whether signgw serves the local dev bucket (src/dev/) and
 * points the upload routes at it instead of COS.
 *
 * It is on when the config's dev.enabled asks for it (true), or, by
 * default ("auto"), when no COS credentials are set, so `./dev run` on a
 * fresh machine shows a whole upload without a cloud account. With real
 * credentials it is never on unless asked for. Main thread only. */
#ifndef SGW_DEVMODE_H
#define SGW_DEVMODE_H

#include "runtime/cred.h"
#include "runtime/reload.h"
#include "runtime/settings.h"

/* Whether the dev bucket is to run with these settings and credentials. */
int sgw_devmode_wanted(const sgw_dev_settings_t *dev, const sgw_cred_t *cred);

/* Starts the dev bucket if wanted (before the workers' first generation
 * is built: it names the bucket's host) and says so in one log line.
 * Returns 0 (r->dev is set when it runs), or -1 after logging why it
 * could not start. */
int sgw_devmode_start(sgw_reload_t *r);
/* Stops it, if it runs (uploads in progress are dropped). */
void sgw_devmode_stop(sgw_reload_t *r);

#endif
