/* JSON text: string output for the encoders, and a strict parser. */
#ifndef SIGNGW_JSON_H
#define SIGNGW_JSON_H

#include <stddef.h>
#include "signgw/buf.h"

/* Appends s as a quoted JSON string. Escapes '"', '\\' and control
 * characters (\b \f \n \r \t, others as \u00XX); '/' and non-ASCII bytes are
 * written as they are. Invalid UTF-8 is SGW_EINVAL (nothing is appended). */
int sgw_json_string(sgw_buf_t *out, const char *s, size_t len);

/* 1 when s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) and holds no NUL byte, else 0. */
int sgw_utf8_valid(const char *s, size_t len);

/* ---- parsing ----------------------------------------------------------
 *
 * RFC 8259 exactly, nothing looser: no comments, no trailing commas, no
 * raw control characters in strings, no lone surrogate escapes, UTF-8
 * only. Strings are decoded with their length, so "\u0000" is a NUL byte
 * inside the string and never ends it. Members keep document order, and
 * duplicate names are all kept (a lookup finds the first). */

typedef enum sgw_json_type_e {
  SGW_JSON_NULL,
  SGW_JSON_FALSE,
  SGW_JSON_TRUE,
  SGW_JSON_NUMBER,
  SGW_JSON_STRING,
  SGW_JSON_ARRAY,
  SGW_JSON_OBJECT
} sgw_json_type_t;

typedef struct sgw_json_s sgw_json_t;
struct sgw_json_s {
  sgw_json_type_t type;
  /* Inside an object: the member name, decoded like a string value. */
  const char *name;
  size_t name_len;
  /* STRING: the decoded bytes (NUL-terminated, and may hold NULs).
   * NUMBER: the number's text as written. */
  const char *str;
  size_t len;
  double number;       /* NUMBER */
  int is_integer;      /* NUMBER written without fraction or exponent, */
  long long integer;   /* and within long long: its exact value */
  size_t count;        /* ARRAY, OBJECT: number of children */
  sgw_json_t *child;   /* ARRAY, OBJECT: the first child */
  sgw_json_t *next;    /* the next element or member */
};

struct sgw__json_block_s;

/* A parsed document. Ownership: every node and string belongs to the
 * document (one arena), nothing points into the input text, and
 * sgw_json_doc_free() releases it all. */
typedef struct sgw_json_doc_s {
  sgw_json_t *root;
  struct sgw__json_block_s *blocks;
} sgw_json_doc_t;

/* Parses `len` bytes holding one JSON value with optional whitespace
 * around it. SGW_EINVAL for anything that is not such a text or nests
 * deeper than max_depth arrays/objects, SGW_ENOMEM. `doc` is initialised
 * in every case; release it with sgw_json_doc_free(). */
int sgw_json_parse(sgw_json_doc_t *doc, const char *text, size_t len,
                   unsigned max_depth);
void sgw_json_doc_free(sgw_json_doc_t *doc);

/* The first member of an object named exactly `name` (NUL-terminated),
 * or NULL (also when obj is not an object). */
const sgw_json_t *sgw_json_get(const sgw_json_t *obj, const char *name);

#endif
