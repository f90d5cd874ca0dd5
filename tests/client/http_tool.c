/* Drives the outbound HTTP client (src/client/http.c) for
 * http_client.test.js: reads one JSON command per line on stdin, runs it on
 * a uv loop, and prints one JSON event per line on stdout.
 *
 * Commands:
 *   {"op":"client", "ca_file", "connect_timeout_ms", "timeout_ms",
 *    "max_body", "max_concurrent", "max_queued"}   -> {"ev":"client","rc"}
 *   {"op":"call", "id", "method", "url", "headers":[[n,v],...], "body",
 *    "timeout_ms", "max_redirects", "then", "close_in_callback"}
 *                                                  -> {"ev":"start","id","rc"}
 *        and later {"ev":"done","id","err","errtext","status","body",
 *                   "headers":[[n,v],...],"ms"}
 *        "then" is another call command, started from inside this call's
 *        callback; "close_in_callback" closes the client from there.
 *   {"op":"cancel", "id"}                           -> {"ev":"cancelled","id"}
 *   {"op":"close", "then"}                          -> {"ev":"closed"}
 *        "then": a call command to start right after the close
 * At end of input the client is closed (if open) and the tool waits for the
 * loop to run dry, then prints {"ev":"exit","loop_close","errors"}. It
 * reports as an error (and exits 1) a callback for a call that was
 * cancelled, closed or already completed, and a loop left with handles. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "client/http.h"
#include "signgw/error.h"

enum { T_RUNNING, T_DONE, T_CANCELLED, T_CLOSED };

typedef struct tcall_s {
  char *id;
  cJSON *then;          /* call command to start from the callback */
  int close_in_callback;
  sgw_http_call_t *call;
  int state;
  uint64_t t0;
  struct tcall_s *next;
} tcall_t;

static uv_loop_t loop;
static uv_pipe_t in;
static sgw_http_client_t *client;
static int client_closing;
static tcall_t *calls;
static char *line;
static size_t line_len, line_cap;
static int errors;

static const char *err_name(int err) {
  switch (err) {
  case 0: return "OK";
  case SGW_ENOMEM: return "ENOMEM";
  case SGW_EINVAL: return "EINVAL";
  case SGW_ENOENT: return "ENOENT";
  case SGW_EIO: return "EIO";
  case SGW_ETIMEDOUT: return "ETIMEDOUT";
  case SGW_ECONN: return "ECONN";
  case SGW_ETLS: return "ETLS";
  case SGW_ETOOBIG: return "ETOOBIG";
  case SGW_EBUSY: return "EBUSY";
  case SGW_ECANCELED: return "ECANCELED";
  case SGW_EPROTO: return "EPROTO";
  default: return "EOTHER";
  }
}

/* Prints and frees one event. */
static void emit(cJSON *ev) {
  char *s = cJSON_PrintUnformatted(ev);

  if (s != NULL) {
    fputs(s, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(s);
  }
  cJSON_Delete(ev);
}

static cJSON *event(const char *name, const char *id) {
  cJSON *ev = cJSON_CreateObject();

  cJSON_AddStringToObject(ev, "ev", name);
  if (id != NULL)
    cJSON_AddStringToObject(ev, "id", id);
  return ev;
}

static void report_error(const char *what, const char *id) {
  cJSON *ev = event("error", id);

  errors++;
  cJSON_AddStringToObject(ev, "what", what);
  emit(ev);
}

static tcall_t *find(const char *id) {
  for (tcall_t *t = calls; t != NULL; t = t->next)
    if (strcmp(t->id, id) == 0)
      return t;
  return NULL;
}

static double num(const cJSON *o, const char *key, double dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

  return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void cmd_call(const cJSON *c);
static void close_client(void);

static void on_done(sgw_http_call_t *call, int err, const char *errtext,
                    const sgw_http_response_t *res, void *data) {
  tcall_t *t = data;
  cJSON *ev, *hs;

  if (t->state != T_RUNNING || t->call != call) {
    report_error(t->state == T_CANCELLED ? "callback after cancel"
                 : t->state == T_CLOSED  ? "callback after close"
                                         : "second callback",
                 t->id);
    return;
  }
  t->state = T_DONE;
  t->call = NULL;
  ev = event("done", t->id);
  cJSON_AddStringToObject(ev, "err", err_name(err));
  if (errtext)
    cJSON_AddStringToObject(ev, "errtext", errtext);
  else
    cJSON_AddNullToObject(ev, "errtext");
  cJSON_AddNumberToObject(ev, "status", res->status);
  /* Bodies in the tests are text; a NUL inside would cut it here, so the
   * length is reported separately. */
  cJSON_AddStringToObject(ev, "body", res->body);
  cJSON_AddNumberToObject(ev, "body_len", (double)res->body_len);
  hs = cJSON_AddArrayToObject(ev, "headers");
  for (size_t i = 0; i < res->nheaders; i++) {
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateString(res->headers[i].name));
    cJSON_AddItemToArray(pair, cJSON_CreateString(res->headers[i].value));
    cJSON_AddItemToArray(hs, pair);
  }
  cJSON_AddNumberToObject(ev, "ms", (double)(uv_now(&loop) - t->t0));
  emit(ev);
  if (t->then != NULL)
    cmd_call(t->then);
  if (t->close_in_callback)
    close_client();
}

static void on_closed(void *data) {
  (void)data;
  client = NULL;
  emit(event("closed", NULL));
}

static void close_client(void) {
  if (client == NULL || client_closing)
    return;
  client_closing = 1;
  for (tcall_t *t = calls; t != NULL; t = t->next)
    if (t->state == T_RUNNING)
      t->state = T_CLOSED;
  sgw_http_client_close(client, on_closed, NULL);
}

static void cmd_client(const cJSON *c) {
  sgw_http_opts_t o;
  cJSON *ev = event("client", NULL);
  int rc;

  sgw_http_opts_init(&o);
  o.ca_file = str(c, "ca_file");
  o.connect_timeout_ms = (uint32_t)num(c, "connect_timeout_ms", o.connect_timeout_ms);
  o.timeout_ms = (uint32_t)num(c, "timeout_ms", o.timeout_ms);
  o.max_body = (size_t)num(c, "max_body", (double)o.max_body);
  o.max_concurrent = (uint32_t)num(c, "max_concurrent", o.max_concurrent);
  o.max_queued = (uint32_t)num(c, "max_queued", o.max_queued);
  rc = client ? SGW_EINVAL : sgw_http_client_new(&loop, &o, &client);
  cJSON_AddStringToObject(ev, "rc", err_name(rc));
  emit(ev);
}

static void cmd_call(const cJSON *c) {
  const char *id = str(c, "id");
  const cJSON *hs = cJSON_GetObjectItemCaseSensitive(c, "headers");
  sgw_http_request_t req = {0};
  sgw_http_header_t hv[64];
  tcall_t *t;
  cJSON *ev;
  int rc;

  if (id == NULL || find(id) != NULL) {
    report_error("call needs a new id", id);
    return;
  }
  req.method = str(c, "method");
  req.url = str(c, "url");
  req.body = str(c, "body");
  req.body_len = req.body ? strlen(req.body) : 0;
  req.timeout_ms = (uint32_t)num(c, "timeout_ms", 0);
  req.max_redirects = (uint32_t)num(c, "max_redirects", 0);
  if (cJSON_IsArray(hs)) {
    const cJSON *pair;
    cJSON_ArrayForEach(pair, hs) {
      if (req.nheaders == sizeof(hv) / sizeof(hv[0]))
        break;
      hv[req.nheaders].name = cJSON_GetArrayItem(pair, 0)->valuestring;
      hv[req.nheaders].value = cJSON_GetArrayItem(pair, 1)->valuestring;
      req.nheaders++;
    }
    req.headers = hv;
  }
  t = calloc(1, sizeof(*t));
  t->id = strdup(id);
  if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(c, "then")))
    t->then = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "then"), 1);
  t->close_in_callback =
      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "close_in_callback"));
  t->t0 = uv_now(&loop);
  t->next = calls;
  calls = t;
  rc = client ? sgw_http_request(client, &req, on_done, t, &t->call)
              : SGW_EINVAL;
  t->state = rc == 0 ? T_RUNNING : T_DONE;
  ev = event("start", id);
  cJSON_AddStringToObject(ev, "rc", err_name(rc));
  emit(ev);
}

static void cmd_cancel(const cJSON *c) {
  const char *id = str(c, "id");
  tcall_t *t = id ? find(id) : NULL;

  if (t == NULL || t->state != T_RUNNING) {
    report_error("cancel of a call that is not running", id);
    return;
  }
  t->state = T_CANCELLED;
  sgw_http_call_cancel(t->call);
  t->call = NULL;
  emit(event("cancelled", id));
}

static void run_line(const char *text) {
  cJSON *c = cJSON_Parse(text);
  const char *op = c ? str(c, "op") : NULL;

  if (op == NULL)
    report_error("bad command", NULL);
  else if (strcmp(op, "client") == 0)
    cmd_client(c);
  else if (strcmp(op, "call") == 0)
    cmd_call(c);
  else if (strcmp(op, "cancel") == 0)
    cmd_cancel(c);
  else if (strcmp(op, "close") == 0) {
    close_client();
    if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(c, "then")))
      cmd_call(cJSON_GetObjectItemCaseSensitive(c, "then"));
  }
  else
    report_error("unknown op", NULL);
  cJSON_Delete(c);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)h;
  buf->base = malloc(hint);
  buf->len = buf->base ? hint : 0;
}

/* Appends one byte to the line being read, growing it by doubling. */
static void line_add(char ch) {
  if (line_len == line_cap) {
    line_cap = line_cap ? line_cap * 2 : 4096;
    if ((line = realloc(line, line_cap)) == NULL)
      abort();
  }
  line[line_len++] = ch;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  if (n < 0) {
    free(buf->base);
    uv_close((uv_handle_t *)s, NULL);
    close_client();
    return;
  }
  for (ssize_t i = 0; i < n; i++) {
    if (buf->base[i] != '\n') {
      line_add(buf->base[i]);
      continue;
    }
    line_add('\0');
    run_line(line);
    line_len = 0;
  }
  free(buf->base);
}

int main(void) {
  const char *why = NULL;
  cJSON *ev;
  int rc;

  if (sgw_http_global_init(&why) < 0) {
    fprintf(stderr, "http_tool: %s\n", why);
    return 2;
  }
  uv_loop_init(&loop);
  uv_pipe_init(&loop, &in, 0);
  if (uv_pipe_open(&in, 0) < 0 ||
      uv_read_start((uv_stream_t *)&in, on_alloc, on_read) < 0) {
    fprintf(stderr, "http_tool: stdin must be a pipe\n");
    return 2;
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  rc = uv_loop_close(&loop);
  sgw_http_global_cleanup();
  if (rc != 0)
    errors++;
  ev = event("exit", NULL);
  cJSON_AddStringToObject(ev, "loop_close", rc == 0 ? "OK" : uv_err_name(rc));
  cJSON_AddNumberToObject(ev, "errors", errors);
  emit(ev);
  while (calls != NULL) {
    tcall_t *t = calls;
    calls = t->next;
    cJSON_Delete(t->then);
    free(t->id);
    free(t);
  }
  free(line);
  return errors ? 1 : 0;
}
