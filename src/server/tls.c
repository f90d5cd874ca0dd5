#include "server/tls.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/file.h"
#include "common/log.h"
#include "server/conn.h"
#include "signgw/error.h"

#define SGW__TLS_MAX_PEM (1u << 20) /* a certificate chain or key file */
#define SGW__TLS_PLAIN 16384        /* plaintext taken per SSL_read batch */
#define SGW__TLS_LOG_EVERY_MS 1000  /* handshake failures: one line a second */

/* Mozilla's "intermediate" TLS 1.2 suites (forward secret, AEAD only);
 * TLS 1.3 keeps OpenSSL's defaults, which are all of that kind. */
#define SGW__TLS12_CIPHERS                                              \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"          \
  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"          \
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct sgw_tls_s {
  uv_mutex_t lock;        /* guards ctx for the workers' views */
  SSL_CTX *ctx;           /* the current one (a reference) */
  atomic_uint gen;        /* bumped when ctx changes */
  /* Ticket keys are made once and given to every context, so sessions
   * resume across a certificate reload; a restart makes new ones. */
  unsigned char ticket_keys[80];
  char name[80];
  char info[320];
};

typedef struct tls_conn_s {
  sgw_conn_t conn;        /* first: a tls_conn_t is a sgw_conn_t */
  SSL *ssl;
  const char *in;         /* ciphertext OpenSSL has not taken yet */
  size_t in_len;
} tls_conn_t;

/* ---- our BIO: reads from the read buffer, writes to the scratch ------- */

static pthread_once_t bio_once = PTHREAD_ONCE_INIT;
static BIO_METHOD *bio_method;

static int bio_read(BIO *b, char *out, int len) {
  tls_conn_t *t = BIO_get_data(b);
  size_t n = t->in_len < (size_t)len ? t->in_len : (size_t)len;

  BIO_clear_retry_flags(b);
  if (n == 0) {
    BIO_set_retry_read(b);
    return -1;
  }
  memcpy(out, t->in, n);
  t->in += n;
  t->in_len -= n;
  return (int)n;
}

/* Output goes to the worker's scratch buffer; tls_flush() sends it
 * before control leaves this file, so it never holds two connections'
 * bytes at once. */
static int bio_write(BIO *b, const char *data, int len) {
  tls_conn_t *t = BIO_get_data(b);

  BIO_clear_retry_flags(b);
  if (sgw_buf_append(&t->conn.server->tls_out, data, (size_t)len) < 0)
    return -1;
  return len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)b, (void)num, (void)ptr;
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static void bio_init(void) {
  bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                            "signgw connection");
  if (bio_method == NULL)
    return;
  BIO_meth_set_read(bio_method, bio_read);
  BIO_meth_set_write(bio_method, bio_write);
  BIO_meth_set_ctrl(bio_method, bio_ctrl);
  BIO_meth_set_create(bio_method, bio_create);
}

/* ---- contexts ----------------------------------------------------------- */

/* The reason OpenSSL gives for its last error, then clears them all. */
static const char *ssl_reason(char *buf, size_t size) {
  unsigned long e = ERR_peek_last_error();

  if (e == 0)
    snprintf(buf, size, "unknown error");
  else
    ERR_error_string_n(e, buf, size);
  ERR_clear_error();
  return buf;
}

/* Keys are loaded unattended: never ask a terminal for a passphrase. */
static int no_password(char *buf, int size, int rwflag, void *ud) {
  (void)buf, (void)size, (void)rwflag, (void)ud;
  return -1;
}

static int alpn_select(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg) {
  static const unsigned char ours[] = "\x08http/1.1";

  (void)ssl, (void)arg;
  /* Offered, but not HTTP/1.1 (h2 only): RFC 7301 says refuse. */
  if (SSL_select_next_proto((unsigned char **)out, outlen, ours,
                            sizeof(ours) - 1, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  return SSL_TLSEXT_ERR_OK;
}

static int load_chain(SSL_CTX *ctx, const char *path, char *err,
                      size_t errlen) {
  char msg[SGW_ERR_MAX], why[256];
  char *text = NULL;
  size_t len;
  BIO *b = NULL;
  X509 *x = NULL, *ca;
  int rc = SGW_EINVAL, n = 0;

  if ((rc = sgw_file_read(path, SGW__TLS_MAX_PEM, &text, &len, msg,
                          sizeof(msg))) < 0) {
    snprintf(err, errlen, "certificate: %s", msg);
    return rc;
  }
  rc = SGW_EINVAL;
  if ((b = BIO_new_mem_buf(text, (int)len)) == NULL ||
      (x = PEM_read_bio_X509_AUX(b, NULL, no_password, NULL)) == NULL) {
    snprintf(err, errlen, "certificate %s: no PEM certificate in it (%s)",
             path, ssl_reason(why, sizeof(why)));
    goto out;
  }
  if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
    snprintf(err, errlen, "certificate %s has expired", path);
    goto out;
  }
  if (SSL_CTX_use_certificate(ctx, x) != 1) {
    snprintf(err, errlen, "certificate %s: %s", path,
             ssl_reason(why, sizeof(why)));
    goto out;
  }
  /* The rest of the file is its chain, in order. */
  while ((ca = PEM_read_bio_X509(b, NULL, no_password, NULL)) != NULL) {
    if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
      X509_free(ca);
      snprintf(err, errlen, "certificate %s: chain certificate %d: %s", path,
               n + 1, ssl_reason(why, sizeof(why)));
      goto out;
    }
    n++;
  }
  /* The loop ends at the end of the text (no further PEM start line) or
   * at something that is not a certificate. */
  if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
    snprintf(err, errlen, "certificate %s: after %d chain certificate%s: %s",
             path, n, n == 1 ? "" : "s", ssl_reason(why, sizeof(why)));
    goto out;
  }
  ERR_clear_error();
  rc = 0;

out:
  X509_free(x);
  BIO_free(b);
  free(text);
  return rc;
}

static int load_key(SSL_CTX *ctx, const char *path, char *err,
                    size_t errlen) {
  char msg[SGW_ERR_MAX], why[256];
  char *text = NULL;
  size_t len = 0;
  BIO *b = NULL;
  EVP_PKEY *pk = NULL;
  int rc;

  if ((rc = sgw_file_read(path, SGW__TLS_MAX_PEM, &text, &len, msg,
                          sizeof(msg))) < 0) {
    snprintf(err, errlen, "key: %s", msg);
    return rc;
  }
  rc = SGW_EINVAL;
  if ((b = BIO_new_mem_buf(text, (int)len)) == NULL ||
      (pk = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL)) == NULL) {
    if (strstr(text, "ENCRYPTED") != NULL)
      snprintf(err, errlen, "key %s is encrypted: signgw loads keys "
               "unattended and needs it without a passphrase", path);
    else
      snprintf(err, errlen, "key %s: no PEM private key in it (%s)", path,
               ssl_reason(why, sizeof(why)));
    goto out;
  }
  if (SSL_CTX_use_PrivateKey(ctx, pk) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    snprintf(err, errlen, "key %s does not belong to the certificate", path);
    goto out;
  }
  rc = 0;

out:
  EVP_PKEY_free(pk);
  BIO_free(b);
  OPENSSL_cleanse(text, len);
  free(text);
  ERR_clear_error();
  return rc;
}

static int ctx_new(sgw_tls_t *t, const char *cert, const char *key,
                   SSL_CTX **out, char *err, size_t errlen) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  int rc = SGW_ECRYPTO;

  *out = NULL;
  if (ctx == NULL ||
      SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, SGW__TLS12_CIPHERS) != 1 ||
      SSL_CTX_set_tlsext_ticket_keys(ctx, t->ticket_keys,
                                     sizeof(t->ticket_keys)) != 1) {
    char why[256];
    snprintf(err, errlen, "cannot set up TLS: %s",
             ssl_reason(why, sizeof(why)));
    goto fail;
  }
  /* Renegotiation only serves attacks on us; a client cannot start one. */
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  /* Idle connections give their record buffers back (~34 KiB each). */
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  /* Resumption by stateless tickets only: no session cache shared (and
   * locked) between workers. One ticket per handshake is what browsers
   * use. */
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 1);
  SSL_CTX_set_default_passwd_cb(ctx, no_password);
  SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
  if ((rc = load_chain(ctx, cert, err, errlen)) < 0 ||
      (rc = load_key(ctx, key, err, errlen)) < 0)
    goto fail;
  *out = ctx;
  return 0;

fail:
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return rc;
}

/* "subject CN=x, valid until Nov 30 12:00:00 2026 GMT" of ctx's certificate. */
static void ctx_describe(SSL_CTX *ctx, char *buf, size_t size) {
  X509 *x = SSL_CTX_get0_certificate(ctx);
  BIO *b = BIO_new(BIO_s_mem());
  char *p;
  long n;

  buf[0] = '\0';
  if (x == NULL || b == NULL) {
    BIO_free(b);
    return;
  }
  BIO_puts(b, "subject ");
  X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
  BIO_puts(b, ", valid until ");
  ASN1_TIME_print(b, X509_get0_notAfter(x));
  n = BIO_get_mem_data(b, &p);
  snprintf(buf, size, "%.*s", (int)n, p);
  BIO_free(b);
  ERR_clear_error();
}

/* Whether two contexts serve the same certificate with the same key. */
static int ctx_same(SSL_CTX *a, SSL_CTX *b) {
  X509 *xa = SSL_CTX_get0_certificate(a), *xb = SSL_CTX_get0_certificate(b);
  EVP_PKEY *ka = SSL_CTX_get0_privatekey(a), *kb = SSL_CTX_get0_privatekey(b);
  STACK_OF(X509) *ca = NULL, *cb = NULL;
  int n;

  if (xa == NULL || xb == NULL || X509_cmp(xa, xb) != 0 || ka == NULL ||
      kb == NULL || EVP_PKEY_eq(ka, kb) != 1)
    return 0;
  SSL_CTX_get0_chain_certs(a, &ca);
  SSL_CTX_get0_chain_certs(b, &cb);
  n = ca ? sk_X509_num(ca) : 0;
  if (n != (cb ? sk_X509_num(cb) : 0))
    return 0;
  for (int i = 0; i < n; i++)
    if (X509_cmp(sk_X509_value(ca, i), sk_X509_value(cb, i)) != 0)
      return 0;
  return 1;
}

int sgw_tls_new(sgw_tls_t **out, const char *name, const char *cert,
                const char *key, char *err, size_t errlen) {
  sgw_tls_t *t;
  int rc;

  *out = NULL;
  pthread_once(&bio_once, bio_init);
  if (bio_method == NULL || (t = calloc(1, sizeof(*t))) == NULL) {
    snprintf(err, errlen, "out of memory");
    return SGW_ENOMEM;
  }
  snprintf(t->name, sizeof(t->name), "%s", name);
  if (RAND_bytes(t->ticket_keys, sizeof(t->ticket_keys)) != 1) {
    snprintf(err, errlen, "no random bytes for session ticket keys");
    free(t);
    return SGW_ECRYPTO;
  }
  if ((rc = ctx_new(t, cert, key, &t->ctx, err, errlen)) < 0) {
    OPENSSL_cleanse(t->ticket_keys, sizeof(t->ticket_keys));
    free(t);
    return rc;
  }
  ctx_describe(t->ctx, t->info, sizeof(t->info));
  uv_mutex_init(&t->lock);
  atomic_init(&t->gen, 1);
  *out = t;
  return 0;
}

int sgw_tls_reload(sgw_tls_t *t, const char *cert, const char *key,
                   char *err, size_t errlen) {
  SSL_CTX *ctx, *old;
  int rc;

  if ((rc = ctx_new(t, cert, key, &ctx, err, errlen)) < 0)
    return rc;
  if (ctx_same(ctx, t->ctx)) { /* the main thread is the only writer */
    SSL_CTX_free(ctx);
    return 0;
  }
  uv_mutex_lock(&t->lock);
  old = t->ctx;
  t->ctx = ctx;
  atomic_fetch_add_explicit(&t->gen, 1, memory_order_release);
  uv_mutex_unlock(&t->lock);
  SSL_CTX_free(old); /* connections and views may still hold it */
  ctx_describe(ctx, t->info, sizeof(t->info));
  return 1;
}

const char *sgw_tls_info(const sgw_tls_t *t) { return t->info; }

void sgw_tls_free(sgw_tls_t *t) {
  if (t == NULL)
    return;
  SSL_CTX_free(t->ctx);
  uv_mutex_destroy(&t->lock);
  OPENSSL_cleanse(t->ticket_keys, sizeof(t->ticket_keys));
  free(t);
}

/* ---- views -------------------------------------------------------------- */

void sgw_tls_view_init(sgw_tls_view_t *v, sgw_tls_t *t) {
  v->tls = t;
  v->ctx = NULL;
  v->gen = 0;
}

void sgw_tls_view_fini(sgw_tls_view_t *v) {
  SSL_CTX_free(v->ctx);
  v->ctx = NULL;
}

static SSL_CTX *view_ctx(sgw_tls_view_t *v) {
  sgw_tls_t *t = v->tls;

  if (atomic_load_explicit(&t->gen, memory_order_acquire) != v->gen) {
    uv_mutex_lock(&t->lock);
    SSL_CTX_up_ref(t->ctx);
    SSL_CTX_free(v->ctx);
    v->ctx = t->ctx;
    v->gen = atomic_load_explicit(&t->gen, memory_order_relaxed);
    uv_mutex_unlock(&t->lock);
  }
  return v->ctx;
}

/* ---- connections -------------------------------------------------------- */

size_t sgw_tls_conn_size(void) { return sizeof(tls_conn_t); }

int sgw_tls_conn_init(sgw_conn_t *c, sgw_tls_view_t *v) {
  tls_conn_t *t = (tls_conn_t *)c;
  BIO *b;

  if ((t->ssl = SSL_new(view_ctx(v))) == NULL ||
      (b = BIO_new(bio_method)) == NULL) {
    SSL_free(t->ssl);
    t->ssl = NULL;
    ERR_clear_error();
    return SGW_ENOMEM;
  }
  BIO_set_data(b, t);
  SSL_set_bio(t->ssl, b, b);
  SSL_set_accept_state(t->ssl);
  c->tls = 1;
  c->handshaking = 1;
  return 0;
}

void sgw_tls_conn_free(sgw_conn_t *c) {
  tls_conn_t *t = (tls_conn_t *)c;

  SSL_free(t->ssl);
  free(t);
}

/* Sends what OpenSSL wrote. The scratch is handed over empty first: the
 * write may close the connection, and its abort callback may answer on
 * another TLS connection of this worker, which then needs the scratch. */
static void tls_flush(tls_conn_t *t) {
  sgw_server_t *s = t->conn.server;
  sgw_buf_t out = s->tls_out;

  if (out.len == 0)
    return;
  sgw_buf_init(&s->tls_out);
  if (!uv_is_closing((uv_handle_t *)&t->conn.tcp))
    sgw__conn_write_raw(&t->conn, out.base, out.len);
  sgw_buf_reset(&out);
  if (s->tls_out.base == NULL)
    s->tls_out = out;
  else
    sgw_buf_free(&out);
}

/* A failed handshake is the client's business (a scanner, an old
 * client, a name mismatch): said at most once a second per worker. */
static void log_handshake_failure(tls_conn_t *t, int err) {
  static _Thread_local uint64_t log_at;
  static _Thread_local unsigned more;
  uint64_t now = uv_now(t->conn.server->loop);
  struct sockaddr_storage ss;
  int sslen = sizeof(ss);
  char peer[64] = "?", why[256];

  if (log_at != 0 && now - log_at < SGW__TLS_LOG_EVERY_MS) {
    more++;
    ERR_clear_error();
    return;
  }
  if (uv_tcp_getpeername(&t->conn.tcp, (struct sockaddr *)&ss, &sslen) == 0) {
    if (ss.ss_family == AF_INET6)
      uv_ip6_name((struct sockaddr_in6 *)&ss, peer, sizeof(peer));
    else
      uv_ip4_name((struct sockaddr_in *)&ss, peer, sizeof(peer));
  }
  if (err == SSL_ERROR_SSL)
    ssl_reason(why, sizeof(why));
  else
    snprintf(why, sizeof(why), "connection error");
  sgw_log_info("tls: handshake with %s failed: %s (%u more since the last "
               "report)", peer, why, more);
  log_at = now;
  more = 0;
}

void sgw_tls_read(sgw_conn_t *c, const char *data, size_t len) {
  tls_conn_t *t = (tls_conn_t *)c;
  char plain[SGW__TLS_PLAIN];

  t->in = data;
  t->in_len = len;
  for (;;) {
    size_t n = 0;
    int rc, err = SSL_ERROR_NONE;

    ERR_clear_error();
    while (n < sizeof(plain)) {
      /* With nothing left to read, SSL_read would only set up its record
       * buffer (~17 KiB) again, to find nothing. */
      if (t->in_len == 0 && !SSL_has_pending(t->ssl)) {
        err = SSL_ERROR_WANT_READ;
        break;
      }
      if ((rc = SSL_read(t->ssl, plain + n, (int)(sizeof(plain) - n))) <= 0) {
        err = SSL_get_error(t->ssl, rc);
        break;
      }
      n += (size_t)rc;
    }
    tls_flush(t); /* handshake messages, tickets, alerts */
    if (c->closing || uv_is_closing((uv_handle_t *)&c->tcp))
      break;
    if (c->handshaking && SSL_is_init_finished(t->ssl))
      sgw__conn_handshake_done(c);
    if (n > 0) {
      sgw__conn_received(c, plain, n);
      if (c->closing || uv_is_closing((uv_handle_t *)&c->tcp))
        break;
    }
    if (err == SSL_ERROR_NONE)
      continue; /* the plaintext buffer was full: there may be more */
    if (err == SSL_ERROR_WANT_READ && t->in_len == 0) {
      /* Waiting for the client: an idle connection keeps no record
       * buffers (unless a record is half received). */
      SSL_free_buffers(t->ssl);
      break;
    }
    /* close_notify, an alert, a broken record: as when the socket
     * closes, what the client still waits for is abandoned. */
    if (c->handshaking && err != SSL_ERROR_ZERO_RETURN)
      log_handshake_failure(t, err);
    sgw_conn_close(c);
    break;
  }
  t->in = NULL;
  t->in_len = 0;
  ERR_clear_error();
}

void sgw_tls_write(sgw_conn_t *c, const char *data, size_t len) {
  tls_conn_t *t = (tls_conn_t *)c;
  int failed = 0;

  ERR_clear_error();
  while (len > 0 && !failed) {
    int n = len > INT_MAX ? INT_MAX : (int)len;
    if (SSL_write(t->ssl, data, n) != n)
      failed = 1;
    else
      data += n, len -= (size_t)n;
  }
  tls_flush(t);
  ERR_clear_error();
  if (failed)
    sgw_conn_close(c);
}

void sgw_tls_shutdown(sgw_conn_t *c) {
  tls_conn_t *t = (tls_conn_t *)c;

  /* Only after a handshake: before one there is no session to close. */
  if (SSL_is_init_finished(t->ssl)) {
    ERR_clear_error();
    SSL_shutdown(t->ssl);
    tls_flush(t);
  }
  ERR_clear_error();
}
