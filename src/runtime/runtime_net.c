/*
 * runtime_net.c — the data plane between the workers of one job.
 *
 * Every worker builds the whole job's subtask table but runs only its own
 * subtasks (runtime.h, wd_worker_of); a route whose target runs elsewhere
 * sends through here instead of pushing into a local queue — the one
 * place where the two differ, so operators never see it.
 *
 * One TCP connection per pair of workers (the higher index connects to the
 * lower, a handshake checks magic, version, byte order, run and index),
 * used in both directions by two threads per peer: a writer that sends
 * whatever frames have accumulated in one write (batched flushes: woken by
 * the first frame after a write, it gathers batches for up to 1 ms or
 * 64 KiB; control frames and credit go at once) and a reader that decodes
 * frames and appends them to the target subtask's queue.
 *
 * Frames: u32 length of what follows, u8 kind, u32 target subtask (its
 * index in the job), u32 channel, u32 edge, then the payload — a batch in
 * the wire encoding (batch/wire.h), a watermark (i64), a barrier's epoch
 * (u64), nothing for end of data, or credit (u64 rows).
 *
 * Flow control is by credit, per channel, in rows: a sender may send while
 * its credit for the channel is positive (a batch may overdraw it), and
 * waits otherwise — that wait is the backpressure of a remote edge.  The
 * receiving subtask returns credit as it pops those messages from its
 * queue (in steps of half the window), so a slow consumer stops exactly
 * the channels that feed it, and the reader thread never blocks: what it
 * receives is already paid for (wd_queue_push_credited).  Memory per
 * channel is bounded by the window plus one batch.
 *
 * Exports (runtime_int.h): wd_dp_start, wd_dp_stop, wd_dp_free,
 * wd_dp_send, wd_dp_send_rows, wd_dp_consumed.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "batch/wire.h"
#include "common/log.h"
#include "common/rd.h"
#include "runtime/net.h"
#include "runtime/runtime_int.h"

#define HELLO_MAGIC 0x31444457u /* "WDD1" */
#define DATA_VERSION 1u
#define BYTE_ORDER_MARK 0x01020304u
#define MAX_FRAME (256u << 20)
#define FRAME_HEAD 17u
#define WRITE_TIMEOUT_NS (30 * WD_NS_PER_SEC)
#define HELLO_TIMEOUT_NS (10 * WD_NS_PER_SEC)
#define SLICE_NS (50 * WD_NS_PER_MS)
#define FLUSH_BYTES (64u << 10)            /* write at once from this much */
#define LINGER_NS (1 * WD_NS_PER_MS)       /* else gather frames this long */

enum { F_BATCH = 1, F_WATERMARK, F_BARRIER, F_END, F_CREDIT };

typedef struct wd_dp wd_dp;

typedef struct peer {
    struct wd_dp *dp;
    uint32_t worker;
    int fd;
    char name[96];
    pthread_mutex_t mu;
    pthread_cond_t has_data; /* the writer waits for frames */
    pthread_cond_t credit;   /* senders wait for credit */
    wd_buf out;              /* frames not yet written (mu) */
    bool urgent;             /* (mu) out holds a control frame: write it now */
    bool dead;               /* (mu) the connection failed */
    pthread_t rd, wr;
    bool rd_started, wr_started;
} peer;

struct wd_dp {
    wd_job *job;
    uint32_t self, n;
    peer *peers;             /* by worker index; peers[self] unused */
    int64_t **credit;        /* per remote task index: per channel (its peer's mu) */
    _Atomic bool quit;       /* the job is being torn down */
    _Atomic bool draining;   /* writers exit once their buffer is empty */
};


/* The credit window of one channel into task t, in rows. */
static int64_t window(const wd_job *j, const task *t)
{
    uint64_t w = j->opts.queue_rows / (t->nchan ? t->nchan : 1);
    uint64_t min = 2 * (uint64_t)j->opts.batch_rows;
    return (int64_t)(w > min ? w : min);
}

static void put_head(uint8_t *p, uint32_t len, uint8_t kind, uint32_t task, uint32_t chan,
                     uint32_t edge)
{
    memcpy(p, &len, 4);
    p[4] = kind;
    memcpy(p + 5, &task, 4);
    memcpy(p + 9, &chan, 4);
    memcpy(p + 13, &edge, 4);
}

static void peer_fail(peer *p, const char *what, const wd_error *e)
{
    pthread_mutex_lock(&p->mu);
    bool was = p->dead;
    p->dead = true;
    pthread_cond_broadcast(&p->credit);
    pthread_cond_broadcast(&p->has_data);
    pthread_mutex_unlock(&p->mu);
    wd_dp *dp = p->dp;
    if (was || atomic_load(&dp->quit)) return;
    wd_error err;
    wd_err_clear(&err);
    wd_err(&err, WD_ENET, "%s worker %u (%s): %s", what, p->worker, p->name,
           e && e->msg[0] ? e->msg : "connection lost");
    wd_rt_fail(dp->job, WD_ENET, &err, NULL);
}

/* ---- sending ------------------------------------------------------------ */

/* Append frame f to p's output (mu held) and wake the writer when it
 * should write: the first frame after a write (it then gathers more for
 * LINGER_NS), FLUSH_BYTES gathered, or a control frame. */
static void append_frame(peer *p, const void *f, size_t n, bool urgent)
{
    bool was_empty = p->out.len == 0;
    wd_buf_put(&p->out, f, n);
    p->urgent |= urgent;
    if (was_empty || urgent || p->out.len >= FLUSH_BYTES) pthread_cond_signal(&p->has_data);
}

/* Wait for credit on (to, chan), take rows of it and append frame f. */
static int enqueue(task *from, task *to, uint32_t chan, uint64_t rows, const wd_buf *f,
                   bool urgent)
{
    wd_dp *dp = from->job->dp;
    peer *p = &dp->peers[to->worker];
    int64_t *cr = &dp->credit[to->index][chan];
    pthread_mutex_lock(&p->mu);
    int64_t mark = 0;
    while (*cr <= 0 && !p->dead && !atomic_load(&dp->quit) &&
           !atomic_load_explicit(&from->job->stop, memory_order_acquire)) {
        if (!mark) mark = wd_mono_ns();
        wd_cond_wait_ns(&p->credit, &p->mu, SLICE_NS);
        int64_t now = wd_mono_ns(); /* slice by slice, like queue pushes */
        atomic_fetch_add_explicit(&from->backpressure_ns, (uint64_t)(now - mark),
                                  memory_order_relaxed);
        mark = now;
    }
    if (p->dead || atomic_load(&dp->quit) ||
        atomic_load_explicit(&from->job->stop, memory_order_acquire)) {
        pthread_mutex_unlock(&p->mu);
        return WD_ESTOPPED;
    }
    *cr -= (int64_t)rows;
    append_frame(p, f->data, f->len, urgent);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

/* Encode m's header (and control payload) into from's frame buffer. */
static void frame_control(wd_buf *f, const task *to, uint32_t chan, const wd_msg *m)
{
    wd_buf_reset(f);
    uint8_t *h = wd_buf_room(f, FRAME_HEAD + 8);
    uint32_t len = FRAME_HEAD - 4;
    uint8_t kind = F_END;
    if (m->kind == WD_MSG_WATERMARK) {
        kind = F_WATERMARK;
        memcpy(h + FRAME_HEAD, &m->wm, 8);
        len += 8;
    } else if (m->kind == WD_MSG_BARRIER) {
        kind = F_BARRIER;
        memcpy(h + FRAME_HEAD, &m->epoch, 8);
        len += 8;
    }
    put_head(h, len, kind, to->index, chan, 0);
    wd_buf_commit(f, h + 4 + len);
}

int wd_dp_send_rows(task *from, task *to, uint32_t chan, uint32_t edge, const wd_batch *b,
                    const uint32_t *idx, uint32_t n)
{
    wd_buf *f = &from->netbuf;
    wd_buf_reset(f);
    uint8_t *h = wd_buf_room(f, FRAME_HEAD);
    wd_buf_commit(f, h + FRAME_HEAD);
    wd_batch_wire_encode(b, idx, n, f);
    uint32_t len = (uint32_t)(f->len - 4);
    put_head((uint8_t *)f->data, len, F_BATCH, to->index, chan, edge);
    return enqueue(from, to, chan, idx ? (n ? n : 1) : (b->nrows ? b->nrows : 1), f, false);
}

int wd_dp_send(task *from, task *to, uint32_t chan, uint32_t edge, wd_msg *m)
{
    if (m->kind == WD_MSG_BATCH) {
        int rc = wd_dp_send_rows(from, to, chan, edge, m->batch, NULL, 0);
        if (rc == 0) wd_batch_release(m->batch);
        return rc;
    }
    frame_control(&from->netbuf, to, chan, m);
    return enqueue(from, to, chan, 1, &from->netbuf, true);
}

void wd_dp_consumed(task *t, const wd_msg *m)
{
    wd_job *j = t->job;
    uint32_t c = m->channel;
    t->ch_unacked[c] += wd_msg_rows(m);
    if (t->ch_unacked[c] < (uint64_t)window(j, t) / 2) return;
    uint64_t rows = t->ch_unacked[c];
    t->ch_unacked[c] = 0;
    peer *p = &j->dp->peers[t->ch_src[c]->worker];
    uint8_t f[FRAME_HEAD + 8];
    put_head(f, FRAME_HEAD - 4 + 8, F_CREDIT, t->index, c, 0);
    memcpy(f + FRAME_HEAD, &rows, 8);
    pthread_mutex_lock(&p->mu);
    if (!p->dead) append_frame(p, f, sizeof f, true);
    pthread_mutex_unlock(&p->mu);
}

/* ---- the threads of a connection ---------------------------------------------- */

static void *writer_main(void *arg)
{
    peer *p = arg;
    wd_dp *dp = p->dp;
    wd_buf w = WD_BUF_INIT;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->out.len == 0 && !p->dead && !atomic_load(&dp->quit) &&
               !atomic_load(&dp->draining))
            wd_cond_wait_ns(&p->has_data, &p->mu, SLICE_NS);
        /* a few batches in one write: fewer wake-ups and system calls */
        if (p->out.len < FLUSH_BYTES && !p->urgent && !p->dead && !atomic_load(&dp->quit) &&
            !atomic_load(&dp->draining))
            wd_cond_wait_ns(&p->has_data, &p->mu, LINGER_NS);
        bool stop = p->dead || atomic_load(&dp->quit) ||
                    (atomic_load(&dp->draining) && p->out.len == 0);
        wd_buf tmp = p->out;
        p->out = w;
        w = tmp;
        p->urgent = false;
        pthread_mutex_unlock(&p->mu);
        if (w.len) {
            wd_error e;
            wd_err_clear(&e);
            if (!stop && wd_net_write(p->fd, w.data, w.len, WRITE_TIMEOUT_NS, &e) < 0) {
                peer_fail(p, "cannot send to", &e);
                break;
            }
            wd_buf_reset(&w);
        }
        if (stop) break;
    }
    wd_buf_free(&w);
    return NULL;
}

/* Handle one frame from p (len bytes at f); an error fails the job. */
static int dispatch(peer *p, const uint8_t *f, uint32_t len, wd_error *err)
{
    wd_dp *dp = p->dp;
    wd_job *j = dp->job;
    wd_rd r;
    wd_rd_init(&r, f, len);
    uint8_t kind = wd_rd_u8(&r);
    uint32_t ti = wd_rd_u32(&r), chan = wd_rd_u32(&r), edge = wd_rd_u32(&r);
    if (r.bad || ti >= j->ntasks) return wd_err(err, WD_ECORRUPT, "frame for unknown subtask %u", ti);
    task *t = j->all[ti];
    if (chan >= t->nchan) return wd_err(err, WD_ECORRUPT, "frame for unknown channel %u", chan);
    if (kind == F_CREDIT) {
        uint64_t rows = wd_rd_u64(&r);
        if (!wd_rd_done(&r) || t->worker != p->worker || !dp->credit[ti] || rows > INT32_MAX)
            return wd_err(err, WD_ECORRUPT, "malformed credit frame");
        pthread_mutex_lock(&p->mu);
        dp->credit[ti][chan] += (int64_t)rows;
        pthread_cond_broadcast(&p->credit);
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    if (t->remote || !t->has_queue || t->ch_src[chan]->worker != p->worker)
        return wd_err(err, WD_ECORRUPT, "frame for subtask %u, which this worker does not run "
                                        "or that peer does not feed",
                      ti);
    wd_msg m = {.channel = chan, .remote = true};
    switch (kind) {
    case F_BATCH: {
        if (edge >= j->g->nedges || j->g->edges[edge].to != t->chain->nodes[0]->id)
            return wd_err(err, WD_ECORRUPT, "batch frame on unknown edge %u", edge);
        const wd_edge *e = &j->g->edges[edge];
        /* the channel must be one of that edge's: its batches have its schema */
        uint32_t width = e->kind == WD_E_FORWARD
                             ? 1
                             : j->chains.chains[j->chains.chain_of[e->from]].parallelism;
        if (chan < j->chan_base[edge] || chan >= j->chan_base[edge] + width)
            return wd_err(err, WD_ECORRUPT, "batch frame for channel %u on edge %u", chan, edge);
        m.kind = WD_MSG_BATCH;
        m.input = e->to_input;
        int rc = wd_batch_wire_decode(j->g->nodes[e->from]->out_schema, r.p,
                                      (size_t)(r.end - r.p), &m.batch, err);
        if (rc < 0) return rc;
        break;
    }
    case F_WATERMARK:
        m.kind = WD_MSG_WATERMARK;
        m.wm = wd_rd_i64(&r);
        break;
    case F_BARRIER:
        m.kind = WD_MSG_BARRIER;
        m.epoch = wd_rd_u64(&r);
        break;
    case F_END: m.kind = WD_MSG_END; break;
    default: return wd_err(err, WD_ECORRUPT, "unknown frame kind %u", kind);
    }
    if (kind != F_BATCH && !wd_rd_done(&r))
        return wd_err(err, WD_ECORRUPT, "malformed frame of kind %u", kind);
    int rc = wd_queue_push_credited(&t->q, &m);
    if (rc < 0 && m.batch) wd_batch_release(m.batch);
    return rc == WD_ESTOPPED ? 0 : rc;
}

static void *reader_main(void *arg)
{
    peer *p = arg;
    wd_dp *dp = p->dp;
    wd_buf f = WD_BUF_INIT;
    wd_error e;
    wd_err_clear(&e);
    int rc;
    for (;;) {
        uint32_t len;
        rc = wd_net_read(p->fd, &len, 4, 0, &dp->quit, &e);
        if (rc < 0) break;
        if (len < FRAME_HEAD - 4 || len > MAX_FRAME) {
            rc = wd_err(&e, WD_ECORRUPT, "frame of %u bytes", len);
            break;
        }
        wd_buf_reset(&f);
        uint8_t *d = wd_buf_room(&f, len);
        rc = wd_net_read(p->fd, d, len, WRITE_TIMEOUT_NS, &dp->quit, &e);
        if (rc < 0) break;
        rc = dispatch(p, d, len, &e);
        if (rc < 0) break;
    }
    wd_buf_free(&f);
    /* a peer that closes after the job has ended everywhere here is done */
    bool ended = true;
    for (uint32_t i = 0; i < dp->job->ntasks && ended; i++) {
        task *t = dp->job->all[i];
        if (!t->remote) ended = atomic_load(&t->exited) && t->finished;
    }
    if (rc != WD_ESTOPPED && !(ended && e.code == WD_ENET))
        peer_fail(p, rc == WD_ECORRUPT ? "bad frame from" : "lost the connection to", &e);
    return NULL;
}

/* ---- setup ------------------------------------------------------------------ */

typedef struct hello {
    uint32_t magic, version, bom, worker;
    uint64_t run;
} hello;

static int send_hello(int fd, const wd_job_dist *d, wd_error *err)
{
    hello h = {HELLO_MAGIC, DATA_VERSION, BYTE_ORDER_MARK, d->self, d->run};
    return wd_net_write(fd, &h, sizeof h, HELLO_TIMEOUT_NS, err);
}

/* Read and check a peer's hello; *worker gets its index. */
static int read_hello(int fd, const wd_job_dist *d, uint32_t *worker, wd_error *err)
{
    hello h;
    int rc = wd_net_read(fd, &h, sizeof h, HELLO_TIMEOUT_NS, NULL, err);
    if (rc < 0) return rc;
    if (h.magic != HELLO_MAGIC)
        return wd_err(err, WD_ENET, "not a wadi data connection (bad magic)");
    if (h.version != DATA_VERSION)
        return wd_err(err, WD_ENET, "data protocol version %u, this worker speaks %u", h.version,
                      DATA_VERSION);
    if (h.bom != BYTE_ORDER_MARK)
        return wd_err(err, WD_ENET, "peer has another byte order");
    if (h.run != d->run)
        return wd_err(err, WD_ENET, "peer belongs to run %" PRIu64 ", this is run %" PRIu64, h.run,
                      d->run);
    if (h.worker >= d->nworkers || h.worker == d->self)
        return wd_err(err, WD_ENET, "peer says it is worker %u", h.worker);
    *worker = h.worker;
    return 0;
}

static int start_threads(wd_dp *dp, peer *p, int fd, wd_error *err)
{
    p->fd = fd;
    wd_net_peer_name(fd, p->name, sizeof p->name);
    if (pthread_create(&p->rd, NULL, reader_main, p) != 0 ||
        !(p->rd_started = true) || pthread_create(&p->wr, NULL, writer_main, p) != 0)
        return wd_err(err, WD_EINTERNAL, "cannot start the data plane's threads");
    p->wr_started = true;
    return 0;
}

int wd_dp_start(wd_job *j, wd_error *err)
{
    const wd_job_dist *d = j->opts.dist;
    wd_dp *dp = wd_calloc(1, sizeof *dp);
    if (!dp) return wd_err(err, WD_ENOMEM, "out of memory");
    j->dp = dp;
    dp->job = j;
    dp->self = d->self;
    dp->n = d->nworkers;
    dp->peers = wd_calloc(dp->n, sizeof *dp->peers);
    dp->credit = wd_calloc(j->ntasks, sizeof *dp->credit);
    if (!dp->peers || !dp->credit) return wd_err(err, WD_ENOMEM, "out of memory");
    for (uint32_t w = 0; w < dp->n; w++) {
        peer *p = &dp->peers[w];
        p->dp = dp;
        p->worker = w;
        p->fd = -1;
        pthread_mutex_init(&p->mu, NULL);
        wd_cond_init_mono(&p->has_data);
        wd_cond_init_mono(&p->credit);
    }
    for (uint32_t i = 0; i < j->ntasks; i++) {
        task *t = j->all[i];
        if (!t->remote || t->nchan == 0) continue;
        dp->credit[i] = wd_arena_alloc(&j->arena, t->nchan * sizeof **dp->credit);
        if (!dp->credit[i]) return wd_err(err, WD_ENOMEM, "out of memory");
        for (uint32_t c = 0; c < t->nchan; c++) dp->credit[i][c] = window(j, t);
    }

    int64_t deadline = wd_mono_ns() + (d->connect_timeout_ns ? d->connect_timeout_ns
                                                          : 10 * WD_NS_PER_SEC);
    /* connect to every lower worker */
    for (uint32_t w = 0; w < d->self; w++) {
        int fd;
        uint32_t who = 0;
        int rc = wd_net_connect(d->peers[w], deadline - wd_mono_ns(), &fd, err);
        if (rc == 0) rc = send_hello(fd, d, err);
        if (rc == 0) rc = read_hello(fd, d, &who, err);
        if (rc == 0 && who != w) rc = wd_err(err, WD_ENET, "%s answered as worker %u", d->peers[w], who);
        if (rc == 0) rc = start_threads(dp, &dp->peers[w], fd, err);
        if (rc < 0) {
            if (fd >= 0 && dp->peers[w].fd != fd) close(fd);
            wd_error e = *err;
            wd_err_clear(err);
            return wd_err(err, WD_ENET, "worker %u cannot reach worker %u at %s: %s", d->self, w,
                          d->peers[w], e.msg);
        }
    }
    /* accept every higher worker */
    for (uint32_t left = d->nworkers - 1 - d->self; left > 0;) {
        int64_t wait = deadline - wd_mono_ns();
        if (wait <= 0)
            return wd_err(err, WD_ENET, "worker %u: %u peer%s did not connect in time", d->self,
                          left, left == 1 ? "" : "s");
        int fd;
        int rc = wd_net_accept(d->listen_fd, wait < SLICE_NS ? wait : SLICE_NS, &fd, err);
        if (rc < 0) return rc;
        if (rc == 0) continue;
        uint32_t who;
        wd_error e;
        wd_err_clear(&e);
        if (read_hello(fd, d, &who, &e) < 0 || who < d->self || dp->peers[who].fd >= 0) {
            char name[96];
            wd_net_peer_name(fd, name, sizeof name);
            wd_log(WD_LOG_WARN, "worker %u: refused a data connection from %s: %s", d->self, name,
                   e.code ? e.msg : "unexpected peer");
            close(fd);
            continue;
        }
        rc = send_hello(fd, d, err);
        if (rc == 0) rc = start_threads(dp, &dp->peers[who], fd, err);
        if (rc < 0) {
            if (dp->peers[who].fd != fd) close(fd);
            return rc;
        }
        left--;
    }
    return 0;
}

void wd_dp_stop(wd_job *j)
{
    if (!j->dp) return;
    atomic_store(&j->dp->quit, true);
    for (uint32_t w = 0; w < j->dp->n; w++) {
        peer *p = &j->dp->peers[w];
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->credit);
        pthread_cond_broadcast(&p->has_data);
        pthread_mutex_unlock(&p->mu);
    }
}

void wd_dp_free(wd_job *j)
{
    wd_dp *dp = j->dp;
    if (!dp) return;
    /* a job that ended normally sends what it still holds, then closes */
    atomic_store(&dp->draining, true);
    for (uint32_t w = 0; dp->peers && w < dp->n; w++) {
        peer *p = &dp->peers[w];
        if (p->wr_started) pthread_join(p->wr, NULL);
    }
    atomic_store(&dp->quit, true);
    for (uint32_t w = 0; dp->peers && w < dp->n; w++) {
        peer *p = &dp->peers[w];
        if (p->fd >= 0) shutdown(p->fd, SHUT_RDWR);
        if (p->rd_started) pthread_join(p->rd, NULL);
        wd_net_close(&p->fd);
        wd_buf_free(&p->out);
        pthread_cond_destroy(&p->has_data);
        pthread_cond_destroy(&p->credit);
        pthread_mutex_destroy(&p->mu);
    }
    wd_free(dp->peers);
    wd_free(dp->credit);
    wd_free(dp);
    j->dp = NULL;
}
