/* A client connection: socket, HTTP parser, the request in progress and
 * the response queue.
 *
 * Ownership: the worker allocates a connection at accept; it frees itself
 * once every handle it owns is closed (sgw_conn_close starts that). */
#ifndef SGW_CONN_H
#define SGW_CONN_H

#include <llhttp.h>
#include <uv.h>

#include "runtime/request.h"
#include "server/framing.h"
#include "signgw/buf.h"

struct sgw_worker_s;

typedef struct sgw_conn_s {
  uv_tcp_t tcp;
  uv_timer_t timer;          /* header / idle timeout */
  struct sgw_worker_s *worker;
  llhttp_t parser;
  sgw_buf_t pending;         /* bytes received but not yet parsed */
  sgw_request_t req;
  int hdr_state;             /* 0 none, 1 in name, 2 in value */
  sgw_framing_t framing;     /* strict CRLF framing of the head */
  char tail[2];              /* last two bytes parsed (CRLF checks) */
  int check_crlf;            /* the message ended with a blank line */
  int error_status;          /* status to answer a parse error with */
  int keep_alive;
  int in_message;            /* between message begin and complete */
  int driving;               /* inside conn_drive */
  int reading;
  int eof;                   /* client half-closed: close after answering */
  int closing;
  int handles;               /* open handles; freed when it drops to 0 */
  struct sgw_conn_s *prev, *next;  /* the worker's list */
} sgw_conn_t;

/* Accepts one connection from `server`. */
void sgw_conn_accept(struct sgw_worker_s *w, uv_stream_t *server);
/* Serves an already connected stream socket (the HTTP fuzz target feeds
 * one end of a socketpair this way). The connection owns fd. */
int sgw_conn_open(struct sgw_worker_s *w, uv_os_sock_t fd);
void sgw_conn_close(sgw_conn_t *c);

/* Sends a complete response for the current request, then goes on with
 * the next (pipelined) request or waits for one. `headers` is preformatted
 * "Name: value\r\n" lines (may be NULL). Takes no ownership. */
void sgw_conn_respond(sgw_conn_t *c, int status, const char *content_type,
                      const char *headers, size_t headers_len,
                      const char *body, size_t body_len);

/* Like sgw_conn_respond with a {"error":code,"message":msg} body. */
void sgw_conn_respond_error(sgw_conn_t *c, int status, const char *code,
                            const char *message, const char *headers);

#endif
