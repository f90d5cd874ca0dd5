/* Strict head framing (src/server/framing.c).
 *
 * Each case is a byte stream and whether RFC 9112 strict framing accepts
 * its head (labelled by hand from the grammar: CRLF after every line, no
 * line of the head starting with white space, head ends at the first empty
 * line). Every case is fed whole, split at every position, and one byte at
 * a time: the verdict may not depend on how the bytes arrive. */
#include <string.h>

#include "server/framing.h"
#include "test.h"

enum { BAD = -1, MORE = 0, DONE = 1 };

static const struct {
  const char *name;
  const char *bytes;
  int want; /* BAD, or MORE (head not over yet), or DONE */
} cases[] = {
    {"minimal", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", DONE},
    {"body bytes are ignored", "POST / HTTP/1.1\r\nHost: a\r\n\r\n\n \n\r", DONE},
    {"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", DONE},
    {"no headers (HTTP/1.0)", "GET / HTTP/1.0\r\n\r\n", DONE},
    {"unfinished", "GET / HTTP/1.1\r\nHost: a\r\n", MORE},
    {"unfinished after CR", "GET / HTTP/1.1\r\nHost: a\r\n\r", MORE},
    {"bare LF after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", BAD},
    {"bare LF after a header", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", BAD},
    {"bare LF as the blank line", "GET / HTTP/1.1\r\nHost: a\r\n\n", BAD},
    {"bare LF blank line, chunked",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\n0\r\n\r\n", BAD},
    {"LF LF", "GET / HTTP/1.1\r\nHost: a\n\n", BAD},
    {"fold with space", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", BAD},
    {"fold with tab", "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", BAD},
    {"space starting first header", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", BAD},
    {"space inside a value", "GET / HTTP/1.1\r\nX: a b\r\n\r\n", DONE},
};

static int verdict(int rc, const sgw_framing_t *f) {
  return rc < 0 ? BAD : sgw_framing_head_done(f) ? DONE : MORE;
}

/* Feeds `s` in pieces of at most `step` bytes, the first piece `first`
 * bytes long (0: use `step`), stopping at the first error. */
static int feed(const char *s, size_t first, size_t step) {
  sgw_framing_t f;
  size_t len = strlen(s), at = 0;
  int rc = 0;

  sgw_framing_reset(&f);
  while (at < len && rc == 0) {
    size_t n = at == 0 && first ? first : step;
    if (n > len - at)
      n = len - at;
    rc = sgw_framing_feed(&f, s + at, n);
    at += n;
  }
  return verdict(rc, &f);
}

int main(void) {
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *s = cases[i].bytes;
    size_t len = strlen(s);

    test_case(cases[i].name);
    CHECK_EQ_INT(feed(s, 0, len), cases[i].want);
    CHECK_EQ_INT(feed(s, 0, 1), cases[i].want);
    for (size_t cut = 1; cut < len; cut++)
      CHECK_EQ_INT(feed(s, cut, len), cases[i].want);
  }

  /* After a message, reset readies the scanner for the next one. */
  test_case("reset between messages");
  {
    sgw_framing_t f;
    const char *a = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    const char *b = "GET / HTTP/1.1\nHost: a\r\n\r\n";

    sgw_framing_reset(&f);
    CHECK_EQ_INT(sgw_framing_feed(&f, a, strlen(a)), 0);
    CHECK(sgw_framing_head_done(&f));
    sgw_framing_reset(&f);
    CHECK(!sgw_framing_head_done(&f));
    CHECK_EQ_INT(sgw_framing_feed(&f, b, strlen(b)), -1);
  }
  return test_report();
}
