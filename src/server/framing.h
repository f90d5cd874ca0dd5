/* Strict framing of a request head, checked next to the parser.
 *
 * llhttp 8 accepts a bare LF wherever a line of the head ends, and in
 * some places a line that starts with white space (an obsolete fold); a
 * proxy in front of us may frame the same bytes differently, and that
 * is how requests get smuggled. This scanner sees the same bytes the
 * parser consumed and insists that every line of the head ends in CRLF,
 * that no line after the request line starts with SP or HTAB, and that
 * the head ends at the first empty line. State is carried across reads,
 * so a client that controls its TCP segments cannot split its way past.
 *
 * The caller owns the struct (it lives inside the connection). */
#ifndef SGW_FRAMING_H
#define SGW_FRAMING_H

#include <stddef.h>

enum {
  SGW_FRAMING_START, /* before a message: empty lines are skipped */
  SGW_FRAMING_HEAD,  /* inside the request line and header lines */
  SGW_FRAMING_BODY   /* past the blank line: not our business */
};

typedef struct sgw_framing_s {
  int state;
  char last[2]; /* the two head bytes before the next one fed */
} sgw_framing_t;

/* Ready for the next message. */
void sgw_framing_reset(sgw_framing_t *f);
/* Feeds `len` bytes the parser consumed. Returns 0, or -1 if the head
 * breaks the rules above (answer 400 and close). Bytes past the head
 * are ignored, so the whole consumed range may be passed. */
int sgw_framing_feed(sgw_framing_t *f, const char *p, size_t len);
/* Whether the head ended at a CRLF CRLF. */
int sgw_framing_head_done(const sgw_framing_t *f);

#endif
