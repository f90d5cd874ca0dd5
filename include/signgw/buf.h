/* A growable byte buffer.
 *
 * Ownership: the buffer owns `base`; sgw_buf_free() releases it. The
 * contents are always NUL-terminated after any successful append, so
 * `base` can be handed to C string functions (len excludes the NUL). */
#ifndef SIGNGW_BUF_H
#define SIGNGW_BUF_H

#include <stddef.h>

typedef struct sgw_buf_s {
  char *base;
  size_t len;
  size_t cap;
} sgw_buf_t;

void sgw_buf_init(sgw_buf_t *b);
void sgw_buf_free(sgw_buf_t *b);
/* Forget the contents, keep the memory. */
void sgw_buf_reset(sgw_buf_t *b);
/* Make room for `extra` more bytes (plus the NUL). */
int sgw_buf_reserve(sgw_buf_t *b, size_t extra);
int sgw_buf_append(sgw_buf_t *b, const void *data, size_t len);
int sgw_buf_appends(sgw_buf_t *b, const char *s);
int sgw_buf_appendc(sgw_buf_t *b, char c);
/* Decimal text of v, without printf (hot path). */
int sgw_buf_append_int(sgw_buf_t *b, long long v);

/* Bytes the decimal text of any long long needs, its NUL included. */
#define SGW_INT_DEC_SIZE 24
/* Writes the decimal text of v and a NUL into out (SGW_INT_DEC_SIZE
 * bytes); returns the text's length. The one integer formatter: the
 * buffer append above and the signing code both use it. */
size_t sgw_int_to_dec(long long v, char *out);
/* printf-style append. */
int sgw_buf_appendf(sgw_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
