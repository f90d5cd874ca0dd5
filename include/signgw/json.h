/* JSON text output helpers (the Lua value encoder builds on these). */
#ifndef SIGNGW_JSON_H
#define SIGNGW_JSON_H

#include <stddef.h>
#include "signgw/buf.h"

/* Appends s as a quoted JSON string. Escapes '"', '\\' and control
 * characters (\b \f \n \r \t, others as \u00XX); '/' and non-ASCII bytes are
 * written as they are. Invalid UTF-8 is SGW_EINVAL (nothing is appended). */
int sgw_json_string(sgw_buf_t *out, const char *s, size_t len);

#endif
