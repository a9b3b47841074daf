/*
 * snapshot.c — operator state as tables of records (snapshot.h).
 *
 * Exports: wd_snap_out_init, wd_snap_out_recycle, wd_snap_out_free,
 * wd_snap_out_bytes,
 * wd_snap_table_begin, wd_snap_put, wd_snap_rec_begin, wd_snap_rec_end,
 * wd_snap_in_init, wd_snap_in_free, wd_snap_in_add, wd_snap_in_add_out,
 * wd_snap_in_has, wd_snap_in_open, wd_snap_in_next, wd_snap_bad_record,
 * wd_snap_in_own_or_min, wd_snap_describe_type, wd_snap_fingerprint.
 */
#include "state/snapshot.h"

#include <xxhash.h>

#include "batch/types.h"
#include "common/alloc.h"

#define REC_HEADER 8 /* u32 key hash, u32 length */

void wd_snap_out_init(wd_snap_out *w, uint64_t epoch, uint32_t subtask, uint32_t parallelism)
{
    memset(w, 0, sizeof *w);
    w->epoch = epoch;
    w->subtask = subtask;
    w->parallelism = parallelism;
}

void wd_snap_out_recycle(wd_snap_out *w, uint64_t epoch, uint32_t subtask, uint32_t parallelism)
{
    uint32_t need = w->nspare + w->ntables;
    if (need > w->spare_cap) {
        wd_snap_table *sp = wd_realloc(w->spare, need * sizeof *sp);
        if (!sp) { /* nothing to keep them in: free them */
            for (uint32_t i = 0; i < w->ntables; i++) wd_buf_free(&w->tables[i].data);
            w->ntables = 0;
        } else {
            w->spare = sp;
            w->spare_cap = need;
        }
    }
    for (uint32_t i = 0; i < w->ntables; i++) {
        wd_buf_reset(&w->tables[i].data);
        w->spare[w->nspare++] = w->tables[i];
    }
    w->ntables = 0;
    w->cur = NULL;
    w->rec_start = 0;
    w->epoch = epoch;
    w->subtask = subtask;
    w->parallelism = parallelism;
}

void wd_snap_out_free(wd_snap_out *w)
{
    for (uint32_t i = 0; i < w->ntables; i++) wd_buf_free(&w->tables[i].data);
    for (uint32_t i = 0; i < w->nspare; i++) wd_buf_free(&w->spare[i].data);
    wd_free(w->tables);
    wd_free(w->spare);
    memset(w, 0, sizeof *w);
}

size_t wd_snap_out_bytes(const wd_snap_out *w)
{
    size_t n = 0;
    for (uint32_t i = 0; i < w->ntables; i++) n += w->tables[i].data.len;
    return n;
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= WD_SNAP_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

int wd_snap_table_begin(wd_snap_out *w, const char *name, wd_snap_kind kind, wd_error *err)
{
    if (!valid_name(name)) return wd_err(err, WD_EINTERNAL, "bad state table name '%s'", name);
    for (uint32_t i = 0; i < w->ntables; i++) {
        if (strcmp(w->tables[i].name, name) != 0) continue;
        if (w->tables[i].kind != kind)
            return wd_err(err, WD_EINTERNAL, "state table '%s' written as two kinds", name);
        w->cur = &w->tables[i];
        return 0;
    }
    if (w->ntables == w->cap) {
        uint32_t cap = w->cap ? w->cap * 2 : 4;
        wd_snap_table *t = wd_realloc(w->tables, cap * sizeof *t);
        if (!t) return wd_err(err, WD_ENOMEM, "out of memory");
        w->tables = t;
        w->cap = cap;
    }
    wd_snap_table *t = &w->tables[w->ntables++];
    memset(t, 0, sizeof *t);
    for (uint32_t i = 0; i < w->nspare; i++)
        if (!strcmp(w->spare[i].name, name)) {
            t->data = w->spare[i].data; /* emptied by wd_snap_out_recycle */
            w->spare[i] = w->spare[--w->nspare];
            break;
        }
    strcpy(t->name, name);
    t->kind = kind;
    w->cur = t;
    return 0;
}

void wd_snap_put(wd_snap_out *w, uint32_t khash, const void *rec, size_t len)
{
    wd_buf *b = wd_snap_rec_begin(w, khash);
    if (len) wd_buf_put(b, rec, len);
    wd_snap_rec_end(w);
}

wd_buf *wd_snap_rec_begin(wd_snap_out *w, uint32_t khash)
{
    wd_buf *b = &w->cur->data;
    uint32_t hdr[2] = {khash, 0};
    w->rec_start = b->len;
    wd_buf_put(b, hdr, sizeof hdr);
    return b;
}

void wd_snap_rec_end(wd_snap_out *w)
{
    wd_buf *b = &w->cur->data;
    size_t len = b->len - w->rec_start - REC_HEADER;
    if (len > UINT32_MAX) wd_panic("state record of %zu bytes", len);
    uint32_t l = (uint32_t)len;
    memcpy(b->data + w->rec_start + 4, &l, 4);
    w->cur->nrecs++;
}

/* ---- restoring ------------------------------------------------------------- */

void wd_snap_in_init(wd_snap_in *r, uint64_t epoch, uint32_t subtask, uint32_t parallelism,
                     uint32_t old_parallelism)
{
    memset(r, 0, sizeof *r);
    r->epoch = epoch;
    r->subtask = subtask;
    r->parallelism = parallelism ? parallelism : 1;
    r->old_parallelism = old_parallelism ? old_parallelism : 1;
}

void wd_snap_in_free(wd_snap_in *r)
{
    wd_free(r->parts);
    memset(r, 0, sizeof *r);
}

int wd_snap_in_add(wd_snap_in *r, const char *table, wd_snap_kind kind, uint32_t from_subtask,
                   const void *data, size_t len)
{
    if (strlen(table) >= WD_SNAP_NAME_MAX) return WD_EINVALID;
    if (r->nparts == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 8;
        wd_snap_part *p = wd_realloc(r->parts, cap * sizeof *p);
        if (!p) return WD_ENOMEM;
        r->parts = p;
        r->cap = cap;
    }
    wd_snap_part *p = &r->parts[r->nparts++];
    memset(p, 0, sizeof *p);
    strcpy(p->table, table);
    p->kind = kind;
    p->from_subtask = from_subtask;
    p->data = data;
    p->len = len;
    return 0;
}

int wd_snap_in_add_out(wd_snap_in *r, const wd_snap_out *w)
{
    for (uint32_t i = 0; i < w->ntables; i++) {
        const wd_snap_table *t = &w->tables[i];
        int rc = wd_snap_in_add(r, t->name, t->kind, w->subtask, t->data.data, t->data.len);
        if (rc < 0) return rc;
    }
    return 0;
}

bool wd_snap_in_has(const wd_snap_in *r, const char *table)
{
    for (uint32_t i = 0; i < r->nparts; i++)
        if (strcmp(r->parts[i].table, table) == 0) return true;
    return false;
}

void wd_snap_in_open(wd_snap_in *r, const char *table)
{
    r->table = table;
    r->part = 0;
    r->off = 0;
}

int wd_snap_in_next(wd_snap_in *r, wd_snap_rec *rec, wd_error *err)
{
    if (!r->table) return 0;
    for (; r->part < r->nparts; r->part++, r->off = 0) {
        const wd_snap_part *p = &r->parts[r->part];
        if (strcmp(p->table, r->table) != 0) continue;
        while (r->off < p->len) {
            if (p->len - r->off < REC_HEADER)
                return wd_err(err, WD_ECORRUPT, "state table '%s': truncated record", p->table);
            uint32_t hdr[2];
            memcpy(hdr, p->data + r->off, sizeof hdr);
            if (p->len - r->off - REC_HEADER < hdr[1])
                return wd_err(err, WD_ECORRUPT, "state table '%s': record overruns its table",
                              p->table);
            const uint8_t *d = p->data + r->off + REC_HEADER;
            r->off += REC_HEADER + (size_t)hdr[1];
            if (p->kind == WD_SNAP_KEYED &&
                wd_khash_partition(hdr[0], r->parallelism) != r->subtask)
                continue;
            rec->khash = hdr[0];
            rec->from_subtask = p->from_subtask;
            rec->data = d;
            rec->len = hdr[1];
            return 1;
        }
    }
    return 0;
}

int wd_snap_bad_record(const wd_snap_in *r, wd_error *err)
{
    return wd_err(err, WD_ECORRUPT, "state table '%s': a record does not decode",
                  r->table ? r->table : "?");
}

int wd_snap_in_own_or_min(wd_snap_in *r, const char *table, int64_t *out, wd_error *err)
{
    bool same = r->old_parallelism == r->parallelism, any = false, own = false;
    int64_t min = INT64_MAX;
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, table);
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        int64_t v;
        if (rec.len != sizeof v) return wd_snap_bad_record(r, err);
        memcpy(&v, rec.data, sizeof v);
        if (same && rec.from_subtask == r->subtask) {
            *out = v;
            own = true;
        }
        if (v < min) min = v;
        any = true;
    }
    if (rc < 0) return rc;
    if (any && !own) *out = min;
    return any ? 1 : 0;
}

void wd_snap_describe_type(wd_buf *b, const wd_type *t)
{
    char name[256];
    if (!t) {
        wd_buf_puts(b, "-;");
        return;
    }
    wd_type_format(t, name, sizeof name);
    wd_buf_puts(b, name);
    wd_buf_putc(b, ';');
}

uint64_t wd_snap_fingerprint(const wd_buf *desc)
{
    uint64_t h = XXH3_64bits(desc->data, desc->len);
    return h ? h : 1;
}
