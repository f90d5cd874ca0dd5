#include "server/deadline.h"

static void dl_unlink(sgw_deadline_t *e) {
  e->prev->next = e->next;
  e->next->prev = e->prev;
  e->prev = e->next = NULL;
  e->kind = SGW_DL_NONE;
}

static void on_timer(uv_timer_t *t);

/* Arms the timer for the earliest head, unless it already fires sooner. */
static void dl_arm(sgw_deadlines_t *d, uint64_t at) {
  uint64_t now = uv_now(d->timer.loop);

  if (d->armed != 0 && d->armed <= at)
    return;
  d->armed = at;
  uv_timer_start(&d->timer, on_timer, at > now ? at - now : 0, 0);
}

static void on_timer(uv_timer_t *t) {
  sgw_deadlines_t *d = t->data;
  uint64_t now = uv_now(t->loop), next = 0;

  d->armed = 0;
  for (int k = 1; k < SGW_DL_KINDS; k++) {
    sgw_deadline_t *h = &d->heads[k];
    /* The callback may start or stop other entries: re-read the head. */
    while (h->next != h && h->next->at <= now) {
      sgw_deadline_t *e = h->next;
      dl_unlink(e);
      d->cb(d, e, k);
    }
  }
  for (int k = 1; k < SGW_DL_KINDS; k++) {
    sgw_deadline_t *h = &d->heads[k];
    if (h->next != h && (next == 0 || h->next->at < next))
      next = h->next->at;
  }
  if (next != 0 && d->armed == 0)
    dl_arm(d, next);
}

void sgw_deadlines_init(sgw_deadlines_t *d, uv_loop_t *loop,
                        sgw_deadline_cb cb) {
  uv_timer_init(loop, &d->timer);
  d->timer.data = d;
  d->armed = 0;
  d->cb = cb;
  for (int k = 0; k < SGW_DL_KINDS; k++)
    d->heads[k].prev = d->heads[k].next = &d->heads[k];
}

void sgw_deadlines_close(sgw_deadlines_t *d) {
  if (!uv_is_closing((uv_handle_t *)&d->timer))
    uv_close((uv_handle_t *)&d->timer, NULL);
}

static int dl_empty(const sgw_deadlines_t *d) {
  for (int k = 1; k < SGW_DL_KINDS; k++)
    if (d->heads[k].next != &d->heads[k])
      return 0;
  return 1;
}

void sgw_deadline_stop(sgw_deadlines_t *d, sgw_deadline_t *e) {
  if (e->kind != SGW_DL_NONE)
    dl_unlink(e);
  /* A timer left armed for another entry fires once, finds nothing and
   * re-arms; with nothing listed it must not keep the loop alive. */
  if (d->armed != 0 && dl_empty(d)) {
    uv_timer_stop(&d->timer);
    d->armed = 0;
  }
}

void sgw_deadline_start(sgw_deadlines_t *d, sgw_deadline_t *e, int kind,
                        uint64_t ms) {
  sgw_deadline_t *h = &d->heads[kind];

  if (e->kind != SGW_DL_NONE)
    dl_unlink(e);
  e->at = uv_now(d->timer.loop) + ms;
  if (e->at == 0)
    e->at = 1;
  e->kind = kind;
  e->prev = h->prev;
  e->next = h;
  h->prev->next = e;
  h->prev = e;
  dl_arm(d, e->at);
}
