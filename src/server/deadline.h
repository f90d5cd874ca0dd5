/* Connection timeouts without a timer per connection.
 *
 * Every timeout of one kind (idle, header, send, linger) has the same
 * length, so connections waiting on it expire in the order they started
 * waiting: one FIFO list per kind and one uv timer for all of them is
 * enough. A connection costs two pointers and a time stamp instead of a
 * 150-byte uv_timer_t, which matters with 10,000 idle clients. When a
 * reload changes a timeout the lists can be briefly out of order; an
 * entry then fires late by at most the difference, never early.
 *
 * Ownership: the caller owns the lists and every entry; an entry must be
 * removed (or the lists closed) before its memory goes. */
#ifndef SGW_DEADLINE_H
#define SGW_DEADLINE_H

#include <stdint.h>
#include <uv.h>

enum { SGW_DL_NONE, SGW_DL_IDLE, SGW_DL_HEADER, SGW_DL_SEND, SGW_DL_LINGER,
       SGW_DL_KINDS };

typedef struct sgw_deadline_s {
  struct sgw_deadline_s *prev, *next;
  uint64_t at;   /* loop time (ms) it expires at */
  int kind;      /* SGW_DL_NONE while in no list */
} sgw_deadline_t;

typedef struct sgw_deadlines_s sgw_deadlines_t;
/* Called for each expired entry, already removed from its list. */
typedef void (*sgw_deadline_cb)(sgw_deadlines_t *d, sgw_deadline_t *e,
                                int kind);

struct sgw_deadlines_s {
  uv_timer_t timer;
  sgw_deadline_t heads[SGW_DL_KINDS]; /* circular sentinels */
  uint64_t armed;                     /* when the timer fires; 0: stopped */
  sgw_deadline_cb cb;
  void *data;
};

void sgw_deadlines_init(sgw_deadlines_t *d, uv_loop_t *loop,
                        sgw_deadline_cb cb);
/* Closes the timer; entries still listed are dropped silently. */
void sgw_deadlines_close(sgw_deadlines_t *d);

/* (Re)starts e: it expires `ms` from now under `kind`. */
void sgw_deadline_start(sgw_deadlines_t *d, sgw_deadline_t *e, int kind,
                        uint64_t ms);
void sgw_deadline_stop(sgw_deadlines_t *d, sgw_deadline_t *e);

#endif
