/* Strict head framing: see framing.h for what and why. */
#include "server/framing.h"

#include <string.h>

void sgw_framing_reset(sgw_framing_t *f) {
  f->state = SGW_FRAMING_START;
  f->last[0] = f->last[1] = 0;
}

int sgw_framing_head_done(const sgw_framing_t *f) {
  return f->state == SGW_FRAMING_BODY;
}

/* Byte `k` bytes back from index i of p, reaching into f->last. */
static char before(const sgw_framing_t *f, const char *p, size_t i,
                   size_t k) {
  return i >= k ? p[i - k] : f->last[2 - (k - i)];
}

static void keep_last(sgw_framing_t *f, const char *p, size_t len) {
  if (len >= 2) {
    f->last[0] = p[len - 2];
    f->last[1] = p[len - 1];
  } else if (len == 1) {
    f->last[0] = f->last[1];
    f->last[1] = p[0];
  }
}

/* Scans whole lines with memchr: only the line ends need a look. */
static int scan_head(sgw_framing_t *f, const char *p, size_t len) {
  size_t i = 0;

  while (i < len) {
    const char *lf;
    size_t k;

    /* The previous line ended: a line that starts with white space
     * continues it (obs-fold, RFC 9112 section 5.2). */
    if (before(f, p, i, 1) == '\n' && (p[i] == ' ' || p[i] == '\t'))
      return -1;
    lf = memchr(p + i, '\n', len - i);
    if (lf == NULL)
      break;
    k = (size_t)(lf - p);
    if (before(f, p, k, 1) != '\r')
      return -1;
    if (before(f, p, k, 2) == '\n') { /* CRLF CRLF: the head is over */
      f->state = SGW_FRAMING_BODY;
      return 0;
    }
    i = k + 1;
  }
  keep_last(f, p, len);
  return 0;
}

int sgw_framing_feed(sgw_framing_t *f, const char *p, size_t len) {
  size_t i = 0;

  if (f->state == SGW_FRAMING_START) {
    /* Like the parser, ignore empty lines before a request line. */
    while (i < len && (p[i] == '\r' || p[i] == '\n'))
      i++;
    if (i == len)
      return 0;
    f->state = SGW_FRAMING_HEAD;
    f->last[0] = f->last[1] = 0;
  }
  if (f->state == SGW_FRAMING_HEAD)
    return scan_head(f, p + i, len - i);
  return 0;
}
