/*
 * checkpoint.c — epochs of a job in a checkpoint store (checkpoint.h).
 *
 * Exports: wd_ckpt_files_free, wd_ckpt_files_take, wd_ckpt_write_op,
 * wd_ckpt_manifest_write, wd_ckpt_list, wd_ckpt_prune, wd_ckpt_load,
 * wd_ckpt_loaded_free, wd_ckpt_loaded_epoch, wd_ckpt_loaded_finished,
 * wd_ckpt_loaded_bytes, wd_ckpt_loaded_reader.
 */
#include "state/checkpoint.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/log.h"
#include "state/snapfile.h"

#define MANIFEST "_manifest.json"
#define MANIFEST_FORMAT 1

static void epoch_dir(char *d, size_t n, uint64_t epoch)
{
    snprintf(d, n, "epoch-%08" PRIu64 "/", epoch);
}

/* The epoch of a key "epoch-NNNNNNNN/…", or 0 when it is not one. */
static uint64_t key_epoch(const char *key)
{
    if (strncmp(key, "epoch-", 6) != 0) return 0;
    char *end;
    unsigned long long e = strtoull(key + 6, &end, 10);
    return *end == '/' ? (uint64_t)e : 0;
}

/* ---- files -------------------------------------------------------------------- */

void wd_ckpt_files_free(wd_ckpt_files *f)
{
    for (uint32_t i = 0; i < f->n; i++) wd_free(f->keys[i]);
    wd_free(f->keys);
    wd_free(f->bytes);
    memset(f, 0, sizeof *f);
}

static int files_add(wd_ckpt_files *f, char *key, uint64_t bytes)
{
    if (f->n == f->cap) {
        uint32_t cap = f->cap ? f->cap * 2 : 8;
        char **k = wd_realloc(f->keys, cap * sizeof *k);
        if (!k) return WD_ENOMEM;
        f->keys = k;
        uint64_t *b = wd_realloc(f->bytes, cap * sizeof *b);
        if (!b) return WD_ENOMEM;
        f->bytes = b;
        f->cap = cap;
    }
    f->keys[f->n] = key;
    f->bytes[f->n++] = bytes;
    return 0;
}

int wd_ckpt_files_take(wd_ckpt_files *dst, wd_ckpt_files *src)
{
    for (uint32_t i = 0; i < src->n; i++) {
        int rc = files_add(dst, src->keys[i], src->bytes[i]);
        if (rc < 0) return rc;
        src->keys[i] = NULL;
    }
    wd_ckpt_files_free(src);
    return 0;
}

int wd_ckpt_write_op(wd_store *st, uint32_t node_id, const char *name, const wd_snap_out *w,
                     wd_ckpt_files *files, wd_error *err)
{
    wd_buf file = WD_BUF_INIT;
    int rc = 0;
    for (uint32_t i = 0; i < w->ntables && rc == 0; i++) {
        const wd_snap_table *t = &w->tables[i];
        wd_snapfile_info info = {
            .epoch = w->epoch,
            .subtask = w->subtask,
            .parallelism = w->parallelism,
            .kind = t->kind,
        };
        snprintf(info.op, sizeof info.op, "n%u:%s", node_id, name);
        snprintf(info.table, sizeof info.table, "%s", t->name);
        wd_buf_reset(&file);
        rc = wd_snapfile_encode(&info, t->data.data, t->data.len, &file, err);
        if (rc < 0) break;
        char dir[32], key[128];
        epoch_dir(dir, sizeof dir, w->epoch);
        snprintf(key, sizeof key, "%sn%u-s%u-%s.snap", dir, node_id, w->subtask, t->name);
        rc = wd_store_put(st, key, file.data, file.len, err);
        if (rc < 0) break;
        char *k = wd_strdup(key);
        if (!k || files_add(files, k, file.len) < 0) {
            wd_free(k);
            rc = wd_err(err, WD_ENOMEM, "out of memory");
        }
    }
    wd_buf_free(&file);
    return rc;
}

/* ---- manifests ---------------------------------------------------------------- */

int wd_ckpt_manifest_write(wd_store *st, const wd_ckpt_manifest *m, wd_error *err)
{
    json_t *root = json_object();
    json_t *ops = json_array();
    json_t *files = json_array();
    uint64_t total = 0;
    if (!root || !ops || !files) goto oom;
    for (uint32_t i = 0; i < m->nops; i++) {
        json_t *o = json_pack("{s:I, s:s, s:I}", "node", (json_int_t)m->ops[i].node, "name",
                              m->ops[i].name, "parallelism", (json_int_t)m->ops[i].parallelism);
        if (!o || json_array_append_new(ops, o) < 0) goto oom;
    }
    for (uint32_t i = 0; m->files && i < m->files->n; i++) {
        json_t *f = json_pack("{s:s, s:I}", "key", m->files->keys[i], "bytes",
                              (json_int_t)m->files->bytes[i]);
        if (!f || json_array_append_new(files, f) < 0) goto oom;
        total += m->files->bytes[i];
    }
    if (json_object_set_new(root, "format", json_integer(MANIFEST_FORMAT)) < 0 ||
        json_object_set_new(root, "epoch", json_integer((json_int_t)m->epoch)) < 0 ||
        json_object_set_new(root, "query", json_string(m->query ? m->query : "")) < 0 ||
        json_object_set_new(root, "finished", json_boolean(m->finished)) < 0 ||
        json_object_set_new(root, "started_ms", json_integer(m->started_ms)) < 0 ||
        json_object_set_new(root, "duration_ms", json_integer(m->duration_ms)) < 0 ||
        json_object_set_new(root, "bytes", json_integer((json_int_t)total)) < 0 ||
        json_object_set(root, "operators", ops) < 0 || json_object_set(root, "files", files) < 0)
        goto oom;
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(root);
    json_decref(ops);
    json_decref(files);
    if (!text) return wd_err(err, WD_ENOMEM, "out of memory");
    char key[64];
    epoch_dir(key, sizeof key, m->epoch);
    strcat(key, MANIFEST);
    int rc = wd_store_put(st, key, text, strlen(text), err);
    free(text);
    return rc;
oom:
    json_decref(root);
    json_decref(ops);
    json_decref(files);
    return wd_err(err, WD_ENOMEM, "out of memory");
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Epochs present in the store (complete or not), newest first; and which of
 * them have a manifest. */
static int scan_epochs(wd_store *st, uint64_t **all, bool **complete, uint32_t *n, wd_error *err)
{
    char **keys = NULL;
    size_t nk = 0;
    *all = NULL;
    *complete = NULL;
    *n = 0;
    int rc = wd_store_list(st, "epoch-", &keys, &nk, err);
    if (rc < 0) return rc;
    uint64_t *ep = wd_malloc((nk ? nk : 1) * sizeof *ep);
    bool *done = wd_calloc(nk ? nk : 1, sizeof *done);
    if (!ep || !done) {
        wd_free(ep);
        wd_free(done);
        wd_store_keys_free(keys, nk);
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    uint32_t m = 0;
    for (size_t i = 0; i < nk; i++) {
        uint64_t e = key_epoch(keys[i]);
        if (e == 0) continue;
        const char *rest = strchr(keys[i], '/') + 1;
        uint32_t j = 0;
        while (j < m && ep[j] != e) j++;
        if (j == m) ep[m++] = e;
        if (strcmp(rest, MANIFEST) == 0) done[j] = true;
    }
    wd_store_keys_free(keys, nk);
    /* sort newest first, keeping done[] aligned */
    for (uint32_t i = 1; i < m; i++)
        for (uint32_t k = i; k > 0 && ep[k - 1] < ep[k]; k--) {
            uint64_t t = ep[k];
            ep[k] = ep[k - 1];
            ep[k - 1] = t;
            bool b = done[k];
            done[k] = done[k - 1];
            done[k - 1] = b;
        }
    *all = ep;
    *complete = done;
    *n = m;
    return 0;
}

int wd_ckpt_list(wd_store *st, uint64_t **epochs, uint32_t *n, wd_error *err)
{
    uint64_t *all;
    bool *done;
    uint32_t m;
    int rc = scan_epochs(st, &all, &done, &m, err);
    if (rc < 0) return rc;
    uint32_t k = 0;
    for (uint32_t i = 0; i < m; i++)
        if (done[i]) all[k++] = all[i];
    wd_free(done);
    qsort(all, k, sizeof *all, cmp_desc);
    *epochs = all;
    *n = k;
    return 0;
}

static void delete_epoch(wd_store *st, uint64_t e, const char *why)
{
    char dir[32];
    epoch_dir(dir, sizeof dir, e);
    wd_error err;
    wd_err_clear(&err);
    if (wd_store_delete_prefix(st, dir, &err) < 0)
        wd_log(WD_LOG_WARN, "cannot delete %s checkpoint %" PRIu64 ": %s", why, e, err.msg);
}

void wd_ckpt_prune(wd_store *st, uint32_t keep, uint64_t keep_from)
{
    uint64_t *all;
    bool *done;
    uint32_t m;
    wd_error err;
    wd_err_clear(&err);
    if (scan_epochs(st, &all, &done, &m, &err) < 0) {
        wd_log(WD_LOG_WARN, "cannot list checkpoints: %s", err.msg);
        return;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < m; i++) {
        if (done[i] && kept < keep) {
            kept++;
            continue;
        }
        if (!done[i] && all[i] >= keep_from) continue;
        delete_epoch(st, all[i], done[i] ? "old" : "incomplete");
    }
    wd_free(all);
    wd_free(done);
}

/* ---- loading ------------------------------------------------------------------ */

typedef struct loaded_file {
    wd_snapfile_info info;
    uint32_t node;
    void *data;
    size_t len;
} loaded_file;

typedef struct loaded_op {
    uint32_t node;
    char *name;
    uint32_t parallelism;
} loaded_op;

struct wd_ckpt_loaded {
    uint64_t epoch;
    bool finished;
    uint64_t bytes;
    loaded_op *ops;
    uint32_t nops;
    loaded_file *files;
    uint32_t nfiles;
};

void wd_ckpt_loaded_free(wd_ckpt_loaded *l)
{
    if (!l) return;
    for (uint32_t i = 0; i < l->nops; i++) wd_free(l->ops[i].name);
    for (uint32_t i = 0; i < l->nfiles; i++) wd_free(l->files[i].data);
    wd_free(l->ops);
    wd_free(l->files);
    wd_free(l);
}

uint64_t wd_ckpt_loaded_epoch(const wd_ckpt_loaded *l) { return l->epoch; }
bool wd_ckpt_loaded_finished(const wd_ckpt_loaded *l) { return l->finished; }
uint64_t wd_ckpt_loaded_bytes(const wd_ckpt_loaded *l) { return l->bytes; }

/* "n12:name" → 12 */
static int op_node(const char *op, uint32_t *node)
{
    if (op[0] != 'n') return -1;
    char *end;
    unsigned long v = strtoul(op + 1, &end, 10);
    if (end == op + 1 || *end != ':' || v > UINT32_MAX) return -1;
    *node = (uint32_t)v;
    return 0;
}

/* Read and verify epoch e completely.  WD_ECORRUPT (or WD_EIO) with err
 * saying what is wrong; *query gets the manifest's fingerprint. */
static int load_epoch(wd_store *st, uint64_t e, wd_ckpt_loaded **out, char **query,
                      wd_error *err)
{
    char key[64];
    epoch_dir(key, sizeof key, e);
    strcat(key, MANIFEST);
    void *text = NULL;
    size_t len = 0;
    *out = NULL;
    *query = NULL;
    int rc = wd_store_get(st, key, &text, &len, err);
    if (rc < 0) return rc;
    if (rc == 1) return wd_err(err, WD_ECORRUPT, "%s is missing", key);
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    wd_free(text);
    if (!root) return wd_err(err, WD_ECORRUPT, "%s is not valid JSON: %s", key, je.text);
    wd_ckpt_loaded *l = wd_calloc(1, sizeof *l);
    if (!l) {
        json_decref(root);
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    l->epoch = e;
    json_t *ops = json_object_get(root, "operators");
    json_t *files = json_object_get(root, "files");
    json_t *jq = json_object_get(root, "query");
    if (json_integer_value(json_object_get(root, "format")) != MANIFEST_FORMAT ||
        (uint64_t)json_integer_value(json_object_get(root, "epoch")) != e ||
        !json_is_array(ops) || !json_is_array(files) || !json_is_string(jq)) {
        rc = wd_err(err, WD_ECORRUPT, "%s: unexpected content", key);
        goto out;
    }
    l->finished = json_is_true(json_object_get(root, "finished"));
    *query = wd_strdup(json_string_value(jq));
    l->ops = wd_calloc(json_array_size(ops) + 1, sizeof *l->ops);
    l->files = wd_calloc(json_array_size(files) + 1, sizeof *l->files);
    if (!*query || !l->ops || !l->files) {
        rc = wd_err(err, WD_ENOMEM, "out of memory");
        goto out;
    }
    size_t i;
    json_t *v;
    json_array_foreach(ops, i, v) {
        json_int_t node = json_integer_value(json_object_get(v, "node"));
        json_int_t par = json_integer_value(json_object_get(v, "parallelism"));
        const char *name = json_string_value(json_object_get(v, "name"));
        if (!name || node < 0 || node > UINT32_MAX || par < 1 || par > 65536) {
            rc = wd_err(err, WD_ECORRUPT, "%s: bad operator entry %zu", key, i);
            goto out;
        }
        loaded_op *o = &l->ops[l->nops++];
        o->node = (uint32_t)node;
        o->parallelism = (uint32_t)par;
        if (!(o->name = wd_strdup(name))) {
            rc = wd_err(err, WD_ENOMEM, "out of memory");
            goto out;
        }
    }
    json_array_foreach(files, i, v) {
        const char *fk = json_string_value(json_object_get(v, "key"));
        json_int_t bytes = json_integer_value(json_object_get(v, "bytes"));
        if (!fk) {
            rc = wd_err(err, WD_ECORRUPT, "%s: bad file entry %zu", key, i);
            goto out;
        }
        loaded_file *f = &l->files[l->nfiles];
        void *data = NULL;
        size_t flen = 0;
        rc = wd_store_get(st, fk, &data, &flen, err);
        if (rc < 0) goto out;
        if (rc == 1) {
            rc = wd_err(err, WD_ECORRUPT, "%s is missing", fk);
            goto out;
        }
        if ((json_int_t)flen != bytes) {
            wd_free(data);
            rc = wd_err(err, WD_ECORRUPT, "%s has %zu bytes, the manifest says %lld", fk, flen,
                        (long long)bytes);
            goto out;
        }
        wd_error fe;
        wd_err_clear(&fe);
        rc = wd_snapfile_decode(data, flen, &f->info, &f->data, &f->len, &fe);
        wd_free(data);
        if (rc < 0) {
            rc = wd_err(err, WD_ECORRUPT, "%s: %s", fk, fe.msg);
            goto out;
        }
        l->nfiles++;
        l->bytes += flen;
        if (op_node(f->info.op, &f->node) < 0 || f->info.epoch != e) {
            rc = wd_err(err, WD_ECORRUPT, "%s: names operator '%s' of epoch %" PRIu64, fk,
                        f->info.op, f->info.epoch);
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(root);
    if (rc < 0) {
        wd_ckpt_loaded_free(l);
        wd_free(*query);
        *query = NULL;
        return rc;
    }
    *out = l;
    return 0;
}

int wd_ckpt_load(wd_store *st, const char *query, bool force, wd_ckpt_loaded **out,
                 wd_error *err)
{
    *out = NULL;
    uint64_t *all;
    bool *done;
    uint32_t m;
    int rc = scan_epochs(st, &all, &done, &m, err);
    if (rc < 0) return rc;
    wd_ckpt_loaded *found = NULL;
    for (uint32_t i = 0; i < m && !found; i++) {
        if (!done[i]) {
            delete_epoch(st, all[i], "incomplete");
            continue;
        }
        char *q = NULL;
        wd_error le;
        wd_err_clear(&le);
        rc = load_epoch(st, all[i], &found, &q, &le);
        if (rc == WD_ENOMEM) {
            *err = le;
            break;
        }
        if (rc < 0) {
            /* find the epoch we fall back to, for the message */
            uint32_t k = i + 1;
            while (k < m && !done[k]) k++;
            if (k < m)
                wd_log(WD_LOG_WARN,
                       "checkpoint %" PRIu64 " in %s cannot be used (%s); falling back to %" PRIu64,
                       all[i], wd_store_url(st), le.msg, all[k]);
            else
                wd_log(WD_LOG_WARN,
                       "checkpoint %" PRIu64 " in %s cannot be used (%s); no older one: starting "
                       "without state",
                       all[i], wd_store_url(st), le.msg);
            delete_epoch(st, all[i], "damaged");
            rc = 0;
            continue;
        }
        if (query && strcmp(q, query) != 0) {
            wd_ckpt_loaded_free(found);
            found = NULL;
            wd_free(q);
            if (force) {
                wd_log(WD_LOG_WARN,
                       "--force: discarding the checkpoints in %s, which belong to another query",
                       wd_store_url(st));
                for (uint32_t k = i; k < m; k++) delete_epoch(st, all[k], "discarded");
                rc = 0;
                break;
            }
            rc = wd_err(err, WD_EINVALID,
                        "the state in %s belongs to another query (checkpoint %" PRIu64 ")",
                        wd_store_url(st), all[i]);
            wd_err_hint(err, "run the query that wrote it, use another state directory, or pass "
                             "--force to discard that state");
            break;
        }
        wd_free(q);
    }
    wd_free(all);
    wd_free(done);
    if (rc < 0) {
        wd_ckpt_loaded_free(found);
        return rc;
    }
    *out = found;
    return 0;
}

int wd_ckpt_loaded_reader(const wd_ckpt_loaded *l, uint32_t node_id, const char *name,
                          uint32_t subtask, uint32_t parallelism, wd_snap_in *r, wd_error *err)
{
    const loaded_op *op = NULL;
    for (uint32_t i = 0; i < l->nops; i++)
        if (l->ops[i].node == node_id) op = &l->ops[i];
    wd_snap_in_init(r, l->epoch, subtask, parallelism, op ? op->parallelism : parallelism);
    if (!op) return 0;
    if (strcmp(op->name, name) != 0)
        return wd_err(err, WD_EINVALID,
                      "checkpoint %" PRIu64 " holds operator %u as '%s', the plan has '%s'",
                      l->epoch, node_id, op->name, name);
    /* this subtask's key-hash range [lo, hi] */
    uint64_t lo = ((uint64_t)subtask << 32) / parallelism;
    if (((uint64_t)subtask << 32) % parallelism) lo++;
    uint64_t hi = ((((uint64_t)subtask + 1) << 32) + parallelism - 1) / parallelism - 1;
    for (uint32_t i = 0; i < l->nfiles; i++) {
        const loaded_file *f = &l->files[i];
        if (f->node != node_id) continue;
        /* a keyed file without keys of this subtask's range still tells that
         * the table exists (empty here): the operator can tell it from a
         * missing one */
        bool miss = f->info.kind == WD_SNAP_KEYED &&
                    (f->info.khash_max < lo || f->info.khash_min > hi);
        int rc = wd_snap_in_add(r, f->info.table, f->info.kind, f->info.subtask,
                                miss ? NULL : f->data, miss ? 0 : f->len);
        if (rc < 0) return wd_err(err, rc, "out of memory");
    }
    return 0;
}
