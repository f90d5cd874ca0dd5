/* TLS on a listener, with OpenSSL: TLS 1.2 and 1.3, ECDHE with AES-GCM or
 * ChaCha20-Poly1305, ALPN http/1.1, resumption with session tickets.
 *
 * sgw_tls_t is one listener's certificate and key and the SSL_CTX made
 * from them. The main thread creates it before the workers start,
 * replaces the context on reload (new connections get the new one,
 * connections already open keep theirs; a certificate that does not
 * load leaves the old one in place) and frees it after the workers are
 * joined. Workers read it through a sgw_tls_view_t of their own: one
 * atomic load per accepted connection, a lock only after a change.
 *
 * A TLS connection is a sgw_conn_t followed by its TLS state, in one
 * allocation of sgw_tls_conn_size() bytes, so plain connections carry
 * none of it. OpenSSL reads ciphertext straight from the worker's read
 * buffer and writes into a scratch buffer that is sent at once (our own
 * BIO), so handshakes and records never block the loop. conn.c calls in
 * here only where c->tls is set: on read, on write, before a graceful
 * close and at free. */
#ifndef SGW_TLS_H
#define SGW_TLS_H

#include <stddef.h>

struct sgw_conn_s;
struct ssl_ctx_st;

typedef struct sgw_tls_s sgw_tls_t;

/* A worker's reference to the current context of a sgw_tls_t. */
typedef struct sgw_tls_view_s {
  sgw_tls_t *tls;
  struct ssl_ctx_st *ctx; /* one reference, or NULL before first use */
  unsigned gen;
} sgw_tls_view_t;

/* ---- the listener's certificate (main thread) -------------------------- */

/* Loads cert (PEM: the certificate, then its chain) and key (PEM,
 * unencrypted) and checks they belong together. `name` (the listen
 * address) prefixes log lines. Returns 0, or a negative SGW_E* code with
 * the reason in err (never any key material). */
int sgw_tls_new(sgw_tls_t **out, const char *name, const char *cert,
                const char *key, char *err, size_t errlen);
/* Loads cert and key again (the paths may be new). Returns 1 when new
 * connections now get them, 0 when they are the ones in use already, or
 * a negative code with the reason in err: the old ones stay. */
int sgw_tls_reload(sgw_tls_t *t, const char *cert, const char *key,
                   char *err, size_t errlen);
/* Subject and expiry of the certificate in use, for the log. */
const char *sgw_tls_info(const sgw_tls_t *t);
/* After every worker has let go of its view. NULL is ignored. */
void sgw_tls_free(sgw_tls_t *t);

/* ---- a worker's view ----------------------------------------------------- */

void sgw_tls_view_init(sgw_tls_view_t *v, sgw_tls_t *t);
void sgw_tls_view_fini(sgw_tls_view_t *v);

/* ---- connections (worker thread) ----------------------------------------- */

/* Bytes to allocate for a TLS connection (a sgw_conn_t comes first). */
size_t sgw_tls_conn_size(void);
/* Gives c (allocated with sgw_tls_conn_size(), zeroed) its TLS state
 * with the view's current context. Returns 0 or SGW_ENOMEM. */
int sgw_tls_conn_init(struct sgw_conn_s *c, sgw_tls_view_t *v);
/* Frees the TLS state and c itself. */
void sgw_tls_conn_free(struct sgw_conn_s *c);
/* Ciphertext from the socket: runs the handshake, hands the plaintext
 * to the connection (sgw__conn_received), sends what OpenSSL has to
 * say. May close c. */
void sgw_tls_read(struct sgw_conn_s *c, const char *data, size_t len);
/* Encrypts and sends data[0..len). May close c. */
void sgw_tls_write(struct sgw_conn_s *c, const char *data, size_t len);
/* Sends close_notify before a graceful close. */
void sgw_tls_shutdown(struct sgw_conn_s *c);

#endif
