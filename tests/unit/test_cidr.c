/* Address blocks for metrics.allow (src/runtime/cidr.c): parsing
 * (prefix bounds, bare addresses, host bits, refused shapes) and matching
 * IPv4, IPv6 and IPv4-mapped IPv6 client addresses. Expected answers
 * follow RFC 4632 (CIDR) and RFC 4291 section 2.5.5.2 (mapped addresses). */
#include <string.h>

#include "runtime/cidr.h"
#include "test.h"

static int in(const char *block, const char *addr) {
  sgw_cidr_t c;
  if (sgw_cidr_parse(block, &c) < 0)
    return -1;
  return sgw_cidr_match(&c, 1, addr);
}

int main(void) {
  static const char *const bad[] = {
      "", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x",
      "1.2.3", "::1/129", "::ffff:1.2.3.4/120", "example.com", "10.0.0.0/ 8",
      "::1/+1", NULL};
  sgw_cidr_t c;

  test_case("refused blocks");
  for (int i = 0; bad[i] != NULL; i++)
    if (!CHECK(sgw_cidr_parse(bad[i], &c) < 0))
      printf("    accepted '%s'\n", bad[i]);

  test_case("IPv4");
  CHECK_EQ_INT(in("10.0.0.0/8", "10.1.2.3"), 1);
  CHECK_EQ_INT(in("10.0.0.0/8", "11.0.0.1"), 0);
  CHECK_EQ_INT(in("10.1.2.3/8", "10.200.0.1"), 1); /* host bits ignored */
  CHECK_EQ_INT(in("192.168.1.128/25", "192.168.1.200"), 1);
  CHECK_EQ_INT(in("192.168.1.128/25", "192.168.1.127"), 0);
  CHECK_EQ_INT(in("192.168.1.7", "192.168.1.7"), 1); /* a host: /32 */
  CHECK_EQ_INT(in("192.168.1.7", "192.168.1.8"), 0);
  CHECK_EQ_INT(in("0.0.0.0/0", "203.0.113.9"), 1);
  CHECK_EQ_INT(in("0.0.0.0/0", "::1"), 0); /* another family */
  CHECK_EQ_INT(in("127.0.0.0/8", "::ffff:127.0.0.1"), 1); /* mapped */
  CHECK_EQ_INT(in("127.0.0.0/8", "nonsense"), 0);
  CHECK_EQ_INT(in("127.0.0.0/8", ""), 0);

  test_case("IPv6");
  CHECK_EQ_INT(in("::1", "::1"), 1);
  CHECK_EQ_INT(in("::1", "::2"), 0);
  CHECK_EQ_INT(in("2001:db8::/32", "2001:db8:ffff::1"), 1);
  CHECK_EQ_INT(in("2001:db8::/33", "2001:db8:8000::1"), 0);
  CHECK_EQ_INT(in("::/0", "fe80::1"), 1);
  CHECK_EQ_INT(in("::/0", "10.0.0.1"), 0);

  test_case("loopback, as metrics.allow has it by default");
  {
    sgw_cidr_t lo[2];
    CHECK_EQ_INT(sgw_cidr_parse("127.0.0.0/8", &lo[0]), 0);
    CHECK_EQ_INT(sgw_cidr_parse("::1/128", &lo[1]), 0);
    CHECK(sgw_cidr_match(lo, 2, "127.0.0.1"));
    CHECK(sgw_cidr_match(lo, 2, "127.9.9.9"));
    CHECK(sgw_cidr_match(lo, 2, "::1"));
    CHECK(sgw_cidr_match(lo, 2, "::ffff:127.0.0.1"));
    CHECK(!sgw_cidr_match(lo, 2, "10.0.0.1"));
    CHECK(!sgw_cidr_match(lo, 2, "::2"));
  }
  return test_report();
}
