/* Logging to stderr, one line per call, safe from any thread.
 *
 * Registered secrets are replaced by "[redacted]" in every line before it
 * is written, as a last line of defence: code must still never pass them. */
#ifndef SGW_LOG_H
#define SGW_LOG_H

typedef enum sgw_log_level_e {
  SGW_LOG_DEBUG,
  SGW_LOG_INFO,
  SGW_LOG_WARN,
  SGW_LOG_ERROR
} sgw_log_level_t;

void sgw_log_set_level(sgw_log_level_t level);
/* The worker id printed on lines from the calling thread (-1: main). */
void sgw_log_set_worker(int id);
/* Adds a string that must never be written (shorter than 8 bytes: ignored).
 * The log keeps its own copy; adding the same string again counts another
 * holder. Safe while other threads log. Returns 0, or -1 when out of
 * memory (the string is then not redacted: the caller should refuse to
 * use it). */
int sgw_log_add_secret(const char *secret);
/* Drops one holder of `secret`; the copy is wiped when the last one goes. */
void sgw_log_remove_secret(const char *secret);

void sgw_log(sgw_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define sgw_log_info(...) sgw_log(SGW_LOG_INFO, __VA_ARGS__)
#define sgw_log_warn(...) sgw_log(SGW_LOG_WARN, __VA_ARGS__)
#define sgw_log_error(...) sgw_log(SGW_LOG_ERROR, __VA_ARGS__)
#define sgw_log_debug(...) sgw_log(SGW_LOG_DEBUG, __VA_ARGS__)

#endif
