/* A client connection (socket, keep-alive, pipelining, timeouts, writes)
 * and the request state it holds while a request is read or answered.
 *
 * Ownership: the server allocates a connection at accept; it frees
 * itself in the socket's close callback (sgw_conn_close starts that).
 * A TLS connection is a larger allocation that starts with this struct
 * (server/tls.h); `tls` says which.
 * The request state (parser and buffers) is taken from the server's pool
 * when bytes arrive and given back when the connection is idle again. */
#ifndef SGW_CONN_H
#define SGW_CONN_H

#include <llhttp.h>
#include <stdint.h>
#include <uv.h>

#include "server/deadline.h"
#include "server/framing.h"
#include "server/http.h"
#include "server/server.h"
#include "signgw/buf.h"

/* Offsets into `head`, which limits.max_header_bytes keeps far below 4 GiB:
 * 16 bytes a header instead of 32. */
typedef struct sgw_hdr_s {
  uint32_t name_off, name_len;
  uint32_t value_off, value_len;
} sgw_hdr_t;

typedef struct sgw_conn_s sgw_conn_t;

struct sgw_http_req_s {
  sgw_conn_t *conn;
  llhttp_t parser;
  sgw_framing_t framing;     /* strict CRLF framing of the head */
  sgw_buf_t pending;         /* bytes received but not yet parsed */
  sgw_buf_t head;            /* raw target and header bytes; offsets here */
  sgw_hdr_t *hdrs;
  unsigned nhdrs, hdr_cap;
  sgw_buf_t body;
  sgw_buf_t scratch;         /* decoding space for accessors */
  const char *method;        /* static string from llhttp */
  size_t url_off, url_len;
  size_t path_len;           /* target up to '?' */
  size_t body_seen;          /* body bytes so far, kept or dropped */
  uint64_t start_ns;         /* uv_hrtime() at its first byte; 0 before */
  uint64_t max_body;         /* this request's body limit */
  uint64_t resp_left;        /* body bytes a streamed answer still owes */
  int hdr_state;             /* 0 none, 1 in name, 2 in value */
  int error_status;          /* the server refuses the request with it */
  char tail[2];              /* last two bytes parsed (CRLF checks) */
  unsigned check_crlf : 1;   /* the message ended with a blank line */
  unsigned keep_body : 1;    /* the handler reads the body */
  unsigned head_only : 1;    /* HEAD: the answer has no body */
  unsigned in_message : 1;   /* between message begin and complete */
  unsigned running : 1;      /* handed up; waiting for the answer */
  /* Streamed bodies and answers (SGW_HTTP_BODY_STREAM, respond_start): */
  unsigned stream : 1;       /* on_head asked for the body in pieces */
  unsigned head_up : 1;      /* handed up before its body */
  unsigned streaming : 1;    /* body pieces go up to the handler */
  unsigned body_paused : 1;  /* the handler asked to wait */
  unsigned discard : 1;      /* answered before its body ended: drop it */
  unsigned answering : 1;    /* a streamed answer is being sent */
  unsigned kick : 1;         /* a resumed parser may go on without input */
  unsigned pause_at : 2;     /* why the parser paused (conn.c) */
  char id[17];
  void *data;                /* the handler's */
  sgw_http_req_t *next_free; /* the server's pool */
};

struct sgw_conn_s {
  uv_tcp_t tcp;
  sgw_server_t *server;
  sgw_http_req_t *req;       /* NULL while idle */
  sgw_deadline_t dl;
  sgw_conn_t *prev, *next;   /* the server's list */
  char peer[48];             /* the client's address ("" if unknown) */
  unsigned keep_alive : 1;
  unsigned driving : 1;      /* inside conn_drive */
  unsigned parsing : 1;      /* inside llhttp_execute */
  unsigned reading : 1;
  unsigned closing : 1;
  unsigned served : 1;       /* has answered a request */
  unsigned tls : 1;          /* bytes pass through server/tls.c */
  unsigned handshaking : 1;  /* TLS: the handshake is not done yet */
};

/* Why the parser paused (sgw_http_req_t.pause_at). */
enum { SGW__PAUSE_MESSAGE, SGW__PAUSE_HEAD, SGW__PAUSE_BODY };

/* parse.c: sets up r's parser with the callbacks that fill it. */
void sgw__parse_init(sgw_http_req_t *r);

/* Takes a connected socket (uv_tcp_t already initialised and opened). */
void sgw_conn_start(sgw_conn_t *c);
void sgw_conn_close(sgw_conn_t *c);
/* Whether closing it now loses nothing (nothing read, running or queued). */
int sgw_conn_idle(const sgw_conn_t *c);
/* The server stops: closes c now if it is idle between requests, else
 * lets it finish the request it is on (or the first it sends, soon). */
void sgw_conn_drain(sgw_conn_t *c);
/* A deadline of the connection's passed. */
void sgw_conn_expired(sgw_conn_t *c, int kind);
/* What it is doing (SGW_CONN_* of server.h). */
int sgw_conn_state(const sgw_conn_t *c);

/* ---- the transport seam: server/tls.c feeds and drains plain bytes --- */

/* Plaintext that arrived on c. */
void sgw__conn_received(sgw_conn_t *c, const char *data, size_t len);
/* Sends data[0..len) as it is (ciphertext). May close c. */
void sgw__conn_write_raw(sgw_conn_t *c, const char *data, size_t len);
/* The TLS handshake is done: from now the usual timeouts apply. */
void sgw__conn_handshake_done(sgw_conn_t *c);

/* Request states from and back to the server's pool (http_req.c). */
sgw_http_req_t *sgw_http_req_take(sgw_server_t *s);
void sgw_http_req_give(sgw_server_t *s, sgw_http_req_t *r);
void sgw_http_req_pool_free(sgw_server_t *s);

#endif
