/* Serialises response heads. */
#ifndef SGW_RESPONSE_H
#define SGW_RESPONSE_H

#include <stddef.h>

#include "signgw/buf.h"

/* Reason phrase for a status code ("Unknown" for unlisted ones). */
const char *sgw_response_reason(int status);

/* Appends the status line and standard headers (Date, Content-Type,
 * Content-Length, X-Request-Id, Connection) plus `extra` (preformatted
 * lines) and the blank line to `out`. */
int sgw_response_head(sgw_buf_t *out, int status, const char *date,
                      const char *content_type, size_t content_length,
                      const char *request_id, int keep_alive,
                      const char *extra, size_t extra_len);

#endif
