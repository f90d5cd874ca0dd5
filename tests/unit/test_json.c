/* JSON string output: escaping and strict UTF-8 validation (also alone:
 * sgw_utf8_valid). JSON parsing:
 * what RFC 8259 accepts and refuses, with the decoded value of each
 * accepted text written from the RFC's rules (escapes, UTF-16 surrogate
 * pairs in \u escapes, the number grammar); decoded strings keep their
 * length, NUL bytes included. */
#include <stdio.h>
#include <string.h>

#include "signgw/buf.h"
#include "signgw/error.h"
#include "signgw/json.h"
#include "test.h"

static void check_json(const char *name, const char *in, size_t len,
                       const char *want) {
  sgw_buf_t b;

  test_case(name);
  sgw_buf_init(&b);
  if (CHECK_EQ_INT(sgw_json_string(&b, in, len), SGW_OK))
    CHECK_MEM(b.base, b.len, want, strlen(want));
  sgw_buf_free(&b);
}

static void test_escapes(void) {
  check_json("empty", "", 0, "\"\"");
  check_json("plain", "hello", 5, "\"hello\"");
  check_json("quote", "a\"b", 3, "\"a\\\"b\"");
  check_json("backslash", "a\\b", 3, "\"a\\\\b\"");
  check_json("newline", "a\nb", 3, "\"a\\nb\"");
  check_json("tab", "a\tb", 3, "\"a\\tb\"");
  check_json("slash unescaped", "a/b", 3, "\"a/b\"");
  check_json("NUL", "a\0b", 3, "\"a\\u0000b\"");
  /* Expected text from Node.js, an independent encoder:
   * JSON.stringify("a\u0000\u0001\b\f\n\r\t\"\\/\u001f\u007f z") */
  {
    static const char all[] = "a\0\x01\b\f\n\r\t\"\\/\x1f\x7f z";
    check_json("all escapes (JSON.stringify)", all, sizeof all - 1,
               "\"a\\u0000\\u0001\\b\\f\\n\\r\\t\\\"\\\\/\\u001f\x7f z\"");
  }
  check_json("0x1f is the last control", "\x1f\x20", 2, "\"\\u001f \"");
  check_json("UTF-8 passes through", "中文😀é", strlen("中文😀é"),
             "\"中文😀é\"");
  /* U+2028 is valid JSON inside a string; JSON.stringify leaves it too. */
  check_json("U+2028 passes through", "\xe2\x80\xa8", 3, "\"\xe2\x80\xa8\"");
}

/* Code points at the edges of each UTF-8 length class and around the
 * surrogate gap (RFC 3629 section 4). */
static void test_valid_utf8_edges(void) {
  static const struct {
    const char *name;
    const char *s;
  } ok[] = {
      {"U+007F", "\x7f"},
      {"U+0080", "\xc2\x80"},
      {"U+07FF", "\xdf\xbf"},
      {"U+0800", "\xe0\xa0\x80"},
      {"U+D7FF", "\xed\x9f\xbf"},
      {"U+E000", "\xee\x80\x80"},
      {"U+FFFD", "\xef\xbf\xbd"},
      {"U+FFFF", "\xef\xbf\xbf"},
      {"U+10000", "\xf0\x90\x80\x80"},
      {"U+10FFFF", "\xf4\x8f\xbf\xbf"},
  };
  char want[16];
  size_t i;

  for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    snprintf(want, sizeof want, "\"%s\"", ok[i].s);
    check_json(ok[i].name, ok[i].s, strlen(ok[i].s), want);
    CHECK(sgw_utf8_valid(ok[i].s, strlen(ok[i].s)) == 1);
  }
  test_case("sgw_utf8_valid: empty, ASCII, mixed");
  CHECK(sgw_utf8_valid("", 0) == 1);
  CHECK(sgw_utf8_valid("abc", 3) == 1);
  CHECK(sgw_utf8_valid("中文😀é", strlen("中文😀é")) == 1);
  test_case("sgw_utf8_valid: a NUL byte is refused");
  CHECK(sgw_utf8_valid("a\0b", 3) == 0);
  CHECK(sgw_utf8_valid("\0", 1) == 0);
}

static void test_invalid_utf8(void) {
  static const struct {
    const char *name;
    const char *s;
  } bad[] = {
      {"lone continuation 0x80", "\x80"},
      {"lone continuation 0xBF", "a\xbf"},
      {"overlong NUL C0 80", "\xc0\x80"},
      {"overlong C1 BF", "\xc1\xbf"},
      {"overlong 3-byte E0 80 80", "\xe0\x80\x80"},
      {"overlong 3-byte U+07FF", "\xe0\x9f\xbf"},
      {"overlong 4-byte F0 80 80 80", "\xf0\x80\x80\x80"},
      {"overlong 4-byte U+FFFF", "\xf0\x8f\xbf\xbf"},
      {"surrogate U+D800", "\xed\xa0\x80"},
      {"surrogate U+DBFF", "\xed\xaf\xbf"},
      {"surrogate U+DC00", "\xed\xb0\x80"},
      {"surrogate U+DFFF", "\xed\xbf\xbf"},
      {"surrogate pair (CESU-8)", "\xed\xa0\xbd\xed\xb8\x80"},
      {"U+110000", "\xf4\x90\x80\x80"},
      {"F5 lead", "\xf5\x80\x80\x80"},
      {"F7 lead", "\xf7\xbf\xbf\xbf"},
      {"5-byte form", "\xf8\x88\x80\x80\x80"},
      {"6-byte form", "\xfc\x84\x80\x80\x80\x80"},
      {"FE", "\xfe"},
      {"FF", "\xff"},
      {"truncated 2-byte at end", "ab\xc3"},
      {"truncated 3-byte at end", "ab\xe4\xb8"},
      {"truncated 4-byte at end", "ab\xf0\x9f\x98"},
      {"truncated 3-byte in middle", "\xe4\xb8z"},
      {"truncated 4-byte in middle", "\xf0\x9f\x98z"},
      {"bad second byte", "\xc3\x28"},
      {"bad third byte", "\xe4\xb8\x28"},
      {"bad fourth byte", "\xf0\x9f\x98\x28"},
      {"valid then invalid", "ok \xe4\xb8\xad \xc0\xaf"},
  };
  sgw_buf_t b;
  char name[80];
  size_t i;

  sgw_buf_init(&b);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(name, sizeof name, "rejects %s", bad[i].name);
    test_case(name);
    sgw_buf_reset(&b);
    sgw_buf_appends(&b, "[");
    CHECK_EQ_INT(sgw_json_string(&b, bad[i].s, strlen(bad[i].s)), SGW_EINVAL);
    /* Nothing may be appended on failure. */
    CHECK_EQ_STR(b.base, "[");
    CHECK(sgw_utf8_valid(bad[i].s, strlen(bad[i].s)) == 0);
  }

  /* The length bounds validation: a sequence cut off by len is invalid
   * even if the bytes after it would complete it. */
  test_case("sequence cut by len");
  sgw_buf_reset(&b);
  CHECK_EQ_INT(sgw_json_string(&b, "\xe4\xb8\xad", 2), SGW_EINVAL);
  CHECK(sgw_utf8_valid("\xe4\xb8\xad", 2) == 0);
  sgw_buf_free(&b);
}

/* The escape of one byte by ECMA-262 QuoteJSONString (what JSON.stringify
 * does), or NULL for a byte that is not plain ASCII. */
static const char *spec_escape(unsigned char c, char buf[8]) {
  static const char hex[] = "0123456789abcdef";

  switch (c) {
  case '\b': return "\\b";
  case '\t': return "\\t";
  case '\n': return "\\n";
  case '\f': return "\\f";
  case '\r': return "\\r";
  case '"': return "\\\"";
  case '\\': return "\\\\";
  }
  if (c >= 0x80)
    return NULL;
  if (c >= 0x20) {
    buf[0] = (char)c, buf[1] = '\0';
  } else {
    memcpy(buf, "\\u00", 4);
    buf[4] = hex[c >> 4], buf[5] = hex[c & 15], buf[6] = '\0';
  }
  return buf;
}

/* Every byte value at every position of a 24-byte string: the encoder
 * takes plain bytes eight at a time, and one odd byte in any lane of a
 * word, or in the tail, must still be seen. */
static void test_every_byte_every_position(void) {
  char in[24], want[64], buf[8], name[48];
  sgw_buf_t b;

  sgw_buf_init(&b);
  for (int c = 0; c < 256; c++) {
    for (size_t pos = 0; pos < sizeof(in); pos++) {
      const char *esc = spec_escape((unsigned char)c, buf);
      int rc;

      memset(in, 'a', sizeof(in));
      in[pos] = (char)c;
      snprintf(name, sizeof(name), "byte 0x%02x at %zu", c, pos);
      test_case(name);
      sgw_buf_reset(&b);
      rc = sgw_json_string(&b, in, sizeof(in));
      if (esc == NULL) {
        CHECK_EQ_INT(rc, SGW_EINVAL);
        continue;
      }
      snprintf(want, sizeof(want), "\"%.*s%s%.*s\"", (int)pos, in, esc,
               (int)(sizeof(in) - pos - 1), in + pos + 1);
      if (CHECK_EQ_INT(rc, SGW_OK))
        CHECK_MEM(b.base, b.len, want, strlen(want));
    }
  }
  sgw_buf_free(&b);
}

static void test_appends(void) {
  sgw_buf_t b;

  test_case("appends to existing content");
  sgw_buf_init(&b);
  sgw_buf_appends(&b, "{\"k\":");
  CHECK_EQ_INT(sgw_json_string(&b, "v\n", 2), SGW_OK);
  sgw_buf_appendc(&b, '}');
  CHECK_EQ_STR(b.base, "{\"k\":\"v\\n\"}");
  sgw_buf_free(&b);
}

/* ---- parsing ------------------------------------------------------------ */

static void parse_ok(const char *name, const char *text, size_t len,
                     sgw_json_doc_t *doc) {
  test_case(name);
  CHECK_EQ_INT(sgw_json_parse(doc, text, len, 32), SGW_OK);
}

/* Accepted texts whose value is one string: the decoded bytes. */
static void test_parse_strings(void) {
  static const struct {
    const char *name, *text, *want;
    size_t want_len;
  } cases[] = {
      {"escaped NUL keeps the rest", "\"a\\u0000b\"", "a\0b", 3},
      {"only NULs", "\"\\u0000\\u0000\"", "\0\0", 2},
      {"short escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8},
      {"BMP escape, either hex case", "\"\\u4E2d\"", "\xe4\xb8\xad", 3},
      {"surrogate pair", "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4},
      {"U+FFFF escape", "\"\\uffff\"", "\xef\xbf\xbf", 3},
      {"raw UTF-8", "\"\xe4\xb8\xad\xf0\x9f\x98\x80\"", "\xe4\xb8\xad\xf0\x9f\x98\x80", 7},
      {"raw DEL is allowed", "\"\x7f\"", "\x7f", 1},
      {"empty", "\"\"", "", 0},
      {"whitespace around", " \t\r\n\"x\" \n", "x", 1},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sgw_json_doc_t doc;
    parse_ok(cases[i].name, cases[i].text, strlen(cases[i].text), &doc);
    if (doc.root != NULL && CHECK_EQ_INT(doc.root->type, SGW_JSON_STRING)) {
      CHECK_MEM(doc.root->str, doc.root->len, cases[i].want,
                cases[i].want_len);
      CHECK(doc.root->str[doc.root->len] == '\0');
    }
    sgw_json_doc_free(&doc);
  }
}

static void test_parse_numbers(void) {
  static const struct {
    const char *text;
    int is_integer;
    long long integer;
    double number;
  } cases[] = {
      {"0", 1, 0, 0},
      {"-0", 1, 0, -0.0},
      {"42", 1, 42, 42},
      {"-17", 1, -17, -17},
      {"9007199254740993", 1, 9007199254740993LL, 9007199254740992.0},
      {"9223372036854775807", 1, 9223372036854775807LL, 9223372036854775807.0},
      {"-9223372036854775808", 1, (-9223372036854775807LL - 1), -9223372036854775808.0},
      {"9223372036854775808", 0, 0, 9223372036854775808.0},
      {"1.5", 0, 0, 1.5},
      {"-0.25e2", 0, 0, -25},
      {"1E+2", 0, 0, 100},
      {"1e-2", 0, 0, 0.01},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sgw_json_doc_t doc;
    parse_ok(cases[i].text, cases[i].text, strlen(cases[i].text), &doc);
    if (doc.root != NULL && CHECK_EQ_INT(doc.root->type, SGW_JSON_NUMBER)) {
      CHECK_EQ_INT(doc.root->is_integer, cases[i].is_integer);
      if (cases[i].is_integer)
        CHECK_EQ_INT(doc.root->integer, cases[i].integer);
      CHECK(doc.root->number == cases[i].number);
      CHECK_EQ_STR(doc.root->str, cases[i].text);
    }
    sgw_json_doc_free(&doc);
  }
}

static void test_parse_structure(void) {
  static const char text[] =
      "{\"a\":[1,true,false,null,{}],\"k\\u0000x\":\"v\",\"a\":[],\"e\":[]}";
  sgw_json_doc_t doc;
  const sgw_json_t *a, *v;

  parse_ok("object with arrays, NUL in a name, a duplicate", text,
           sizeof(text) - 1, &doc);
  if (doc.root == NULL) {
    sgw_json_doc_free(&doc);
    return;
  }
  CHECK_EQ_INT(doc.root->type, SGW_JSON_OBJECT);
  CHECK_EQ_INT(doc.root->count, 4);
  a = sgw_json_get(doc.root, "a");
  if (CHECK(a != NULL) && CHECK_EQ_INT(a->type, SGW_JSON_ARRAY) &&
      CHECK_EQ_INT(a->count, 5)) {
    v = a->child;
    CHECK_EQ_INT(v->type, SGW_JSON_NUMBER);
    CHECK_EQ_INT((v = v->next)->type, SGW_JSON_TRUE);
    CHECK_EQ_INT((v = v->next)->type, SGW_JSON_FALSE);
    CHECK_EQ_INT((v = v->next)->type, SGW_JSON_NULL);
    CHECK_EQ_INT((v = v->next)->type, SGW_JSON_OBJECT);
    CHECK(v->next == NULL);
  }
  v = a ? a->next : NULL;
  if (CHECK(v != NULL)) {
    CHECK_MEM(v->name, v->name_len, "k\0x", 3);
    CHECK_MEM(v->str, v->len, "v", 1);
  }
  CHECK(sgw_json_get(doc.root, "k") == NULL);
  CHECK(sgw_json_get(doc.root, "missing") == NULL);
  sgw_json_doc_free(&doc);

  test_case("depth limit");
  CHECK_EQ_INT(sgw_json_parse(&doc, "[[[]]]", 6, 3), SGW_OK);
  sgw_json_doc_free(&doc);
  CHECK_EQ_INT(sgw_json_parse(&doc, "[[[[]]]]", 8, 3), SGW_EINVAL);
  CHECK(doc.root == NULL);
  sgw_json_doc_free(&doc);

  test_case("a long string and many members grow the arena");
  {
    char big[20000];
    size_t n = 0;
    big[n++] = '[';
    for (int i = 0; i < 1500; i++)
      n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"%d\"",
                            i ? "," : "", i);
    big[n++] = ']';
    CHECK_EQ_INT(sgw_json_parse(&doc, big, n, 32), SGW_OK);
    if (doc.root)
      CHECK_EQ_INT(doc.root->count, 1500);
    sgw_json_doc_free(&doc);
  }
}

/* Texts RFC 8259 refuses (and a few it allows that a lenient parser
 * might get wrong the other way). */
static void test_parse_refused(void) {
  static const struct {
    const char *name, *text;
    size_t len; /* 0: strlen */
  } bad[] = {
      {"empty", "", 0},
      {"only whitespace", " \n", 0},
      {"trailing value", "1 2", 0},
      {"trailing comma in array", "[1,]", 0},
      {"trailing comma in object", "{\"a\":1,}", 0},
      {"missing colon", "{\"a\" 1}", 0},
      {"unquoted name", "{a:1}", 0},
      {"single quotes", "'a'", 0},
      {"comment", "[1]//", 0},
      {"leading zero", "01", 0},
      {"bare minus", "-", 0},
      {"dot without digits", "1.", 0},
      {"leading dot", ".5", 0},
      {"exponent without digits", "1e", 0},
      {"plus sign", "+1", 0},
      {"hex number", "0x10", 0},
      {"NaN", "NaN", 0},
      {"Infinity", "Infinity", 0},
      {"unterminated string", "\"abc", 0},
      {"backslash at the end", "\"abc\\", 0},
      {"unknown escape", "\"\\x41\"", 0},
      {"short \\u escape", "\"\\u12\"", 0},
      {"non-hex \\u escape", "\"\\u12g4\"", 0},
      {"lone high surrogate", "\"\\ud83d\"", 0},
      {"lone low surrogate", "\"\\ude00\"", 0},
      {"high surrogate then letter", "\"\\ud83dx\"", 0},
      {"high surrogate then BMP escape", "\"\\ud83d\\u0041\"", 0},
      {"raw newline in string", "\"a\nb\"", 0},
      {"raw tab in string", "\"a\tb\"", 0},
      {"raw NUL in string", "\"a\0b\"", 4},
      {"invalid UTF-8", "\"\xff\"", 0},
      {"overlong UTF-8", "\"\xc0\xaf\"", 0},
      {"UTF-8 surrogate", "\"\xed\xa0\x80\"", 0},
      {"truncated UTF-8", "\"\xe4\xb8\"", 0},
      {"truncated literal", "tru", 0},
      {"literal with suffix", "nulls", 0},
      {"NUL after value", "1\0", 2},
      {"unclosed array", "[1", 0},
      {"unclosed object", "{\"a\":1", 0},
      {"close without open", "]", 0},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    sgw_json_doc_t doc;
    size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
    test_case(bad[i].name);
    CHECK_EQ_INT(sgw_json_parse(&doc, bad[i].text, len, 32), SGW_EINVAL);
    CHECK(doc.root == NULL);
    sgw_json_doc_free(&doc);
  }
}

int main(void) {
  test_parse_strings();
  test_parse_numbers();
  test_parse_structure();
  test_parse_refused();
  test_escapes();
  test_valid_utf8_edges();
  test_invalid_utf8();
  test_appends();
  test_every_byte_every_position();
  return test_report();
}
