/*
 * rows.c — kept rows in checkpoints (ops/rows.h): what their layout
 * depends on, writing a row record, and reading a table of them back into
 * batches.
 *
 * Exports: wd_rows_describe, wd_rows_snap, wd_rows_restore.
 */
#include "ops/rows.h"

#include <string.h>

#include "agg/agg.h"
#include "common/alloc.h"
#include "runtime/runtime.h"

#define LOAD_ROWS 1024u

void wd_rows_describe(wd_buf *b, const wd_type *in, const int *part, uint32_t npart,
                      const wd_sort_key *order, uint32_t norder)
{
    wd_buf_printf(b, "in %u:", in->nfields);
    for (uint32_t f = 0; f < in->nfields; f++) wd_snap_describe_type(b, in->fields[f].type);
    wd_buf_printf(b, "|part %u:", npart);
    for (uint32_t k = 0; k < npart; k++) wd_buf_printf(b, "%d,", part[k]);
    wd_buf_printf(b, "|order %u:", norder);
    for (uint32_t k = 0; k < norder; k++)
        wd_buf_printf(b, "%d %d %d,", order[k].col, order[k].desc, order[k].nulls_first);
}

void wd_rows_snap(wd_snap_out *o, const wd_batch *x, uint32_t r, uint32_t kh, const void *prefix,
                  uint32_t plen)
{
    uint32_t nf = x->schema->nfields;
    size_t need = plen;
    for (uint32_t f = 0; f < nf; f++) need += wd_value_enc_size(&x->cols[f], r);
    wd_buf *buf = wd_snap_rec_begin(o, kh);
    uint8_t *w = wd_buf_room(buf, need);
    if (plen) memcpy(w, prefix, plen);
    w += plen;
    for (uint32_t f = 0; f < nf; f++) w = wd_value_encode(w, &x->cols[f], r);
    wd_buf_commit(buf, w);
    wd_snap_rec_end(o);
}

/* Rows decoded so far, handed over a batch at a time. */
typedef struct loader {
    const wd_type *schema;
    const int *part_cols;
    uint32_t npart;
    const char *table;
    wd_batch *B;
    uint32_t n;
    uint32_t kh[LOAD_ROWS];   /* each row's recorded key hash */
    uint64_t h[LOAD_ROWS];
    wd_rows_meta meta[LOAD_ROWS];
    wd_col *pcols;
} loader;

/* A fresh batch to decode into. */
static int fresh(loader *L, wd_error *err)
{
    L->n = 0;
    L->B = wd_batch_new_empty(L->schema);
    if (!L->B) return wd_err(err, WD_ENOMEM, "restore: out of memory");
    for (uint32_t f = 0; f < L->schema->nfields; f++)
        wd_col_init(&L->B->cols[f], L->schema->fields[f].type, LOAD_ROWS, &L->B->arena);
    return 0;
}

/* Check the decoded rows' partition hashes and hand them over. */
static int hand_over(loader *L, wd_rows_feed feed, void *ctx, wd_error *err)
{
    if (L->n == 0) return 0;
    wd_batch *B = L->B;
    B->nrows = L->n;
    wd_batch_seal(B);
    for (uint32_t k = 0; k < L->npart; k++) L->pcols[k] = B->cols[L->part_cols[k]];
    wd_hash_rows(L->pcols, L->npart, L->n, L->h);
    int rc = 0;
    for (uint32_t i = 0; i < L->n && rc == 0; i++)
        if ((uint32_t)(L->h[i] >> 32) != L->kh[i])
            rc = wd_err(err, WD_ECORRUPT,
                        "state table '%s': a row's key hash is not that of its partition",
                        L->table);
    if (rc == 0) rc = feed(ctx, B, L->meta, err);
    wd_batch_release(B);
    L->B = NULL;
    if (rc == 0) rc = fresh(L, err);
    return rc;
}

int wd_rows_restore(wd_snap_in *r, const char *table, const wd_type *schema, const int *part_cols,
                    uint32_t npart, uint32_t plen, wd_rows_feed feed, void *ctx, wd_error *err)
{
    if (plen > WD_ROWS_PREFIX_MAX)
        return wd_err(err, WD_EINTERNAL, "restore: a row prefix of %u bytes", plen);
    loader *L = wd_calloc(1, sizeof *L);
    wd_col *pcols = wd_calloc(npart ? npart : 1, sizeof *pcols);
    if (!L || !pcols) {
        wd_free(L);
        wd_free(pcols);
        return wd_err(err, WD_ENOMEM, "restore: out of memory");
    }
    L->schema = schema;
    L->part_cols = part_cols;
    L->npart = npart;
    L->table = table;
    L->pcols = pcols;
    uint32_t nf = schema->nfields;
    int rc = fresh(L, err);
    wd_snap_rec rec;
    wd_snap_in_open(r, table);
    while (rc == 0 && (rc = wd_snap_in_next(r, &rec, err)) == 1) {
        /* check the whole record before decoding any of it */
        const uint8_t *p = rec.data + plen;
        size_t left = rec.len >= plen ? rec.len - plen : SIZE_MAX;
        for (uint32_t f = 0; f < nf && left != SIZE_MAX; f++) {
            size_t k = wd_value_check(schema->fields[f].type, p, left);
            if (!k) left = SIZE_MAX;
            else p += k, left -= k;
        }
        if (left != 0) {
            rc = wd_snap_bad_record(r, err);
            break;
        }
        wd_rows_meta *m = &L->meta[L->n];
        memset(m, 0, sizeof *m);
        m->from = rec.from_subtask;
        if (plen) memcpy(m->prefix, rec.data, plen);
        p = rec.data + plen;
        for (uint32_t f = 0; f < nf; f++)
            p = wd_value_decode(&L->B->cols[f], L->n, p, &L->B->arena);
        L->kh[L->n++] = rec.khash;
        rc = L->n == LOAD_ROWS ? hand_over(L, feed, ctx, err) : 0;
    }
    if (rc == 0) rc = hand_over(L, feed, ctx, err);
    if (L->B) wd_batch_release(L->B);
    wd_free(pcols);
    wd_free(L);
    return rc;
}
