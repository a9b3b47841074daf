/*
 * agg_snap.c — aggregate state rows in checkpoints: the layout fingerprint
 * a snapshot records, and saving / loading one state row.
 *
 * A saved row is, for each aggregate in order, its own state — the state
 * bytes as they are when the aggregate has no save hook (plain bytes),
 * else what its save hook writes — followed, for a DISTINCT aggregate, by
 * its value set (agg.c).  A row of plain states only is therefore its
 * first bytes as they lie in memory, which operators copy directly when
 * they snapshot many groups (wd_agg_row_plain).  Bytes are in host order
 * (snapshot files record it).
 *
 * Exports: wd_agg_fingerprint, wd_agg_row_plain, wd_agg_row_save,
 * wd_agg_row_load.
 */
#include "agg/agg_int.h"
#include "state/snapshot.h"

/* Bumped when a save format of this module changes: older state is refused. */
#define SAVE_FORMAT 1

static bool is_distinct(const wd_agg_spec *s) { return s->distinct && s->arg_col >= 0; }

/* Bytes of the aggregate's own state (without the DISTINCT set pointer). */
static uint32_t own_size(const wd_agg_spec *s) { return s->size - (is_distinct(s) ? 8 : 0); }

/* See agg.h. */
uint64_t wd_agg_fingerprint(const wd_agg_spec *specs, uint32_t n, uint32_t stride,
                            const wd_type *const *key_types, uint32_t nkeys)
{
    wd_buf b = WD_BUF_INIT;
    wd_buf_printf(&b, "v%d stride %u keys %u:", SAVE_FORMAT, stride, nkeys);
    for (uint32_t k = 0; k < nkeys; k++) wd_snap_describe_type(&b, key_types[k]);
    for (uint32_t i = 0; i < n; i++) {
        const wd_agg_spec *s = &specs[i];
        if (!s->fn || wd_agg_find(s->fn->name) != s->fn) {
            wd_buf_free(&b);
            return 0;
        }
        wd_buf_printf(&b, "|%s%s@%u+%u:", s->fn->name, s->distinct ? " distinct" : "",
                      s->offset, s->size);
        wd_snap_describe_type(&b, s->arg_type);
        wd_snap_describe_type(&b, s->ret);
    }
    uint64_t h = wd_snap_fingerprint(&b);
    wd_buf_free(&b);
    return h;
}

/* See agg.h. */
bool wd_agg_row_plain(const wd_agg_spec *specs, uint32_t n, uint32_t *bytes)
{
    uint32_t end = 0;
    for (uint32_t i = 0; i < n; i++) {
        const wd_agg_spec *s = &specs[i];
        if (is_distinct(s) || wd_agg__def(s)->save || s->offset != end) return false;
        end += s->size;
    }
    *bytes = end;
    return true;
}

/* See agg.h. */
void wd_agg_row_save(const wd_agg_spec *specs, uint32_t n, const uint8_t *row, wd_buf *b)
{
    for (uint32_t i = 0; i < n; i++) {
        const wd_agg_spec *s = &specs[i];
        const wd_agg_def *d = wd_agg__def(s);
        const uint8_t *st = row + s->offset;
        if (d->save)
            d->save(s, st, b);
        else
            wd_buf_put(b, st, own_size(s));
        if (is_distinct(s)) wd_agg__distinct_save(s, st, b);
    }
}

/* See agg.h. */
bool wd_agg_row_load(const wd_agg_spec *specs, uint32_t n, uint8_t *row, wd_agg_ctx *c, wd_rd *r)
{
    for (uint32_t i = 0; i < n; i++) {
        const wd_agg_spec *s = &specs[i];
        const wd_agg_def *d = wd_agg__def(s);
        uint8_t *st = row + s->offset;
        if (d->load) {
            if (!d->load(s, c, st, r)) return false;
        } else {
            uint32_t own = own_size(s);
            const void *p = wd_rd_take(r, own);
            if (!p) return false;
            if (own) memcpy(st, p, own);
        }
        if (is_distinct(s) && !wd_agg__distinct_load(s, c, st, r)) return false;
    }
    return !r->bad;
}
