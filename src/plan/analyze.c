/*
 * analyze.c — names, types and functions: statements to rels.
 *
 * CREATE TABLE registers a table (connector, options, columns, generated
 * columns, event time, watermark); CREATE VIEW registers a view; SET
 * records a setting; INSERT INTO and bare SELECT are analyzed into rels and
 * handed to the planner.  Every error points at the SQL that caused it and
 * says what would be accepted.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/suggest.h"
#include "expr/func.h"
#include "plan/plan_int.h"

typedef wd_scope scope;

static wd_rel *an_query(wd_plan_ctx *c, const wd_ast_query *q);
#define an_expr wd_an_expr

#define FAIL_AT(c, pos, code, ...) (wd_err_at((c)->err, (code), (pos), __VA_ARGS__), (void *)0)

static bool name_eq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static bool name_ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

/* ---- types ------------------------------------------------------------- */

static const wd_type *an_type(wd_plan_ctx *c, const wd_ast_type *t)
{
    const wd_type *r = NULL;
    const char *n = t->name;
    if (!strcmp(n, "boolean")) r = WD_TYPE_BOOL;
    else if (!strcmp(n, "smallint")) r = WD_TYPE_INT16;
    else if (!strcmp(n, "int")) r = WD_TYPE_INT32;
    else if (!strcmp(n, "bigint")) r = WD_TYPE_INT64;
    else if (!strcmp(n, "smallint unsigned")) r = WD_TYPE_UINT16;
    else if (!strcmp(n, "int unsigned")) r = WD_TYPE_UINT32;
    else if (!strcmp(n, "bigint unsigned")) r = WD_TYPE_UINT64;
    else if (!strcmp(n, "real")) r = WD_TYPE_FLOAT32;
    else if (!strcmp(n, "double")) r = WD_TYPE_FLOAT64;
    else if (!strcmp(n, "text")) r = WD_TYPE_TEXT;
    else if (!strcmp(n, "bytea")) r = WD_TYPE_BYTES;
    else if (!strcmp(n, "timestamp")) r = WD_TYPE_TIMESTAMP;
    else if (!strcmp(n, "date")) r = WD_TYPE_DATE;
    else if (!strcmp(n, "interval")) r = WD_TYPE_INTERVAL;
    else if (!strcmp(n, "json")) r = WD_TYPE_JSON;
    else if (!strcmp(n, "decimal")) {
        int p = t->nparams >= 1 ? t->params[0] : 38, s = t->nparams >= 2 ? t->params[1] : 0;
        if (p < 1 || p > 38 || s < 0 || s > p)
            return FAIL_AT(c, t->pos, WD_ETYPE,
                           "DECIMAL(%d,%d) is out of range: precision must be 1 to 38 and "
                           "scale 0 to the precision", p, s);
        r = wd_type_decimal(c->a, p, s);
    } else if (!strcmp(n, "struct")) {
        wd_field *f = wd_arena_calloc(c->a, sizeof *f * (t->nfields ? t->nfields : 1));
        for (uint32_t i = 0; i < t->nfields; i++) {
            f[i].name = t->fields[i].name;
            f[i].type = an_type(c, t->fields[i].type);
            f[i].nullable = true;
            if (!f[i].type) return NULL;
        }
        r = wd_type_struct(c->a, t->nfields, f);
    } else {
        return FAIL_AT(c, t->pos, WD_EUNSUPPORTED, "type '%s' is not supported", n);
    }
    for (int d = 0; d < t->array_dims; d++) r = wd_type_list(c->a, r);
    return r;
}

/* ---- tables, views, settings -------------------------------------------- */

wd_table *wd_an_find_table(wd_plan_ctx *c, const char *name)
{
    for (uint32_t i = 0; i < c->ntables; i++)
        if (name_eq(c->tables[i]->name, name)) return c->tables[i];
    for (uint32_t i = 0; i < c->ntables; i++)
        if (name_ieq(c->tables[i]->name, name)) return c->tables[i];
    return NULL;
}

static wd_view *find_view(wd_plan_ctx *c, const char *name)
{
    for (uint32_t i = 0; i < c->nviews; i++)
        if (name_ieq(c->views[i]->name, name)) return c->views[i];
    return NULL;
}

static int name_taken(wd_plan_ctx *c, const char *name, wd_pos pos)
{
    if (wd_an_find_table(c, name) || find_view(c, name))
        return wd_err_at(c->err, WD_ENAME, pos, "a table or view named '%s' already exists", name);
    return 0;
}

#define GROW(c, arr, n, cap)                                                        \
    do {                                                                            \
        if ((n) == (cap)) {                                                         \
            uint32_t nc_ = (cap) ? (cap) * 2 : 8;                                   \
            void *p_ = wd_arena_alloc((c)->a, sizeof(*(arr)) * nc_);                \
            if ((n)) memcpy(p_, (arr), sizeof(*(arr)) * (n));                       \
            (arr) = p_;                                                             \
            (cap) = nc_;                                                            \
        }                                                                           \
    } while (0)

static const char *opt_value(const wd_options *o, const char *key)
{
    for (uint32_t i = 0; i < o->n; i++)
        if (!strcmp(o->kv[i].key, key)) return o->kv[i].val;
    return NULL;
}

static wd_pos opt_pos(const wd_options *o, const char *key, wd_pos def)
{
    for (uint32_t i = 0; i < o->n; i++)
        if (!strcmp(o->kv[i].key, key)) return o->kv[i].pos;
    return def;
}

/* A scope over the fields of a schema, all under qualifier qual. */
scope wd_an_scope(wd_plan_ctx *c, wd_rel *r, const char *qual)
{
    scope s = {0};
    s.rel = r;
    s.schema = r->schema;
    s.n = r->schema->nfields;
    s.quals = wd_arena_alloc(c->a, sizeof(char *) * s.n);
    for (uint32_t i = 0; i < s.n; i++) s.quals[i] = qual ? qual : (r->quals ? r->quals[i] : NULL);
    return s;
}

/* Cast e to type t when it differs (analysis-time check of castability). */
wd_expr *wd_an_coerce(wd_plan_ctx *c, wd_expr *e, const wd_type *t, wd_pos pos, const char *what)
{
    if (!e) return NULL;
    if (wd_type_eq(e->type, t)) return e;
    if (!wd_cast_allowed(e->type, t)) {
        char a[128], b[128];
        wd_type_format(e->type, a, sizeof a);
        wd_type_format(t, b, sizeof b);
        return FAIL_AT(c, pos, WD_ETYPE, "%s: cannot convert %s to %s", what, a, b);
    }
    wd_expr *r = wd_expr_cast(c->a, e, t);
    r->pos = pos;
    /* Fold casts of literals now, so a bad literal is reported at plan time. */
    if (e->kind == WD_EX_LIT) {
        wd_col out;
        wd_error e2 = {0};
        if (wd_expr_eval_const(r, c->a, &out, &e2) < 0)
            return FAIL_AT(c, pos, WD_ECAST, "%s", e2.msg);
        wd_expr *l = wd_expr_lit(c->a, t);
        l->lit = out;
        l->lit.flags |= WD_COL_CONST;
        l->pos = pos;
        return l;
    }
    return r;
}

/* CREATE TABLE t (cols) without WITH: a memory table inside the pipeline.
 * INSERTs into it are its input; queries read their union. */
static int an_memory_table(wd_plan_ctx *c, const wd_ast_stmt *s, wd_table *t)
{
    wd_field *f = wd_arena_calloc(c->a, sizeof *f * (s->ncols + 1));
    for (uint32_t i = 0; i < s->ncols; i++) {
        const wd_ast_column *col = &s->cols[i];
        if (col->generated || !col->type)
            return wd_err_at(c->err, WD_EUNSUPPORTED, col->pos,
                             "memory tables take plain columns (no GENERATED columns)");
        if (wd_field_is_hidden(col->name))
            return wd_err_at(c->err, WD_ENAME, col->pos,
                             "'%s' is reserved for the hidden event-time column", col->name);
        for (uint32_t j = 0; j < i; j++)
            if (name_ieq(s->cols[j].name, col->name))
                return wd_err_at(c->err, WD_ENAME, col->pos, "column '%s' is declared twice",
                                 col->name);
        f[i].name = col->name;
        f[i].type = an_type(c, col->type);
        f[i].nullable = !col->not_null;
        if (!f[i].type) return -1;
    }
    if (s->wm_col)
        return wd_err_at(c->err, WD_EUNSUPPORTED, s->wm_pos,
                         "memory tables keep the event time of the rows inserted into them; "
                         "WATERMARK FOR is not supported on them");
    t->memory = true;
    t->as_source = t->as_sink = true;
    t->schema = wd_schema_make(c->a, s->ncols, f);
    t->nphys = s->ncols;
    t->mem = wd_an_new_rel(c, WD_REL_UNION, s->pos);
    t->mem->schema = t->schema;
    t->mem->quals = wd_arena_calloc(c->a, sizeof(char *) * (s->ncols + 1));
    GROW(c, c->tables, c->ntables, c->captables);
    c->tables[c->ntables++] = t;
    return 0;
}

static int an_create_table(wd_plan_ctx *c, const wd_ast_stmt *s)
{
    if (name_taken(c, s->name, s->name_pos) < 0) return -1;
    if (s->query)
        return wd_err_at(c->err, WD_EUNSUPPORTED, s->pos,
                         "CREATE TABLE … AS SELECT is not supported yet; use CREATE VIEW");
    wd_table *t = wd_arena_calloc(c->a, sizeof *t);
    t->name = s->name;
    t->pos = s->name_pos;
    t->event_col = -1;

    wd_opt *kv = wd_arena_calloc(c->a, sizeof *kv * (s->nopts + 1));
    for (uint32_t i = 0; i < s->nopts; i++) {
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(s->opts[j].key, s->opts[i].key))
                return wd_err_at(c->err, WD_EOPTION, s->opts[i].key_pos,
                                 "option '%s' is given twice", s->opts[i].key);
        kv[i].key = s->opts[i].key;
        kv[i].val = s->opts[i].value;
        kv[i].pos = s->opts[i].value_pos;
        kv[i].key_pos = s->opts[i].key_pos;
    }
    t->opts.n = s->nopts;
    t->opts.kv = kv;

    const char *cname = opt_value(&t->opts, "connector");
    if (!cname) {
        if (s->nopts == 0 && s->ncols > 0) return an_memory_table(c, s, t);
        wd_err_at(c->err, WD_EOPTION, s->pos, "table '%s' needs a 'connector' option", s->name);
        wd_err_hint(c->err, "connectors: %s", wd_connector_names());
        return -1;
    }
    t->conn = wd_connector_find(cname);
    if (!t->conn) {
        const char *names[16];
        size_t nn = 0;
        static const char *const all[] = {"nexmark", "impulse", "single_file", "stdout",
                                          "blackhole"};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++) names[nn++] = all[i];
        const char *sug = wd_suggest(cname, names, nn);
        wd_err_at(c->err, WD_EOPTION, opt_pos(&t->opts, "connector", s->pos),
                  "unknown connector '%s'%s%s%s", cname, sug ? " (did you mean '" : "",
                  sug ? sug : "", sug ? "'?)" : "");
        wd_err_hint(c->err, "connectors: %s", wd_connector_names());
        return -1;
    }
    if (wd_options_check(t->conn, &t->opts, c->err) < 0) {
        /* a missing option has no text of its own: point at the table's name */
        if (c->err && c->err->pos.line == 0) c->err->pos = s->name_pos;
        return -1;
    }

    const char *type = opt_value(&t->opts, "type");
    t->as_source = t->conn->source;
    t->as_sink = t->conn->sink;
    if (type) {
        if (!strcmp(type, "source")) {
            if (!t->conn->source)
                return wd_err_at(c->err, WD_EOPTION, opt_pos(&t->opts, "type", s->pos),
                                 "connector '%s' cannot be a source", cname);
            t->as_sink = false;
        } else if (!strcmp(type, "sink")) {
            if (!t->conn->sink)
                return wd_err_at(c->err, WD_EOPTION, opt_pos(&t->opts, "type", s->pos),
                                 "connector '%s' cannot be a sink", cname);
            t->as_source = false;
        } else {
            wd_err_at(c->err, WD_EOPTION, opt_pos(&t->opts, "type", s->pos),
                      "option 'type': '%s' is not accepted", type);
            wd_err_hint(c->err, "accepted values: source, sink");
            return -1;
        }
    } else if (t->conn->source && t->conn->sink) {
        wd_err_at(c->err, WD_EOPTION, s->pos,
                  "table '%s': connector '%s' needs option 'type'", s->name, cname);
        wd_err_hint(c->err, "add type = 'source' or type = 'sink'");
        return -1;
    }
    if (t->conn->validate && t->conn->validate(&t->opts, t->as_source, c->err) < 0) {
        if (c->err && c->err->pos.line == 0) c->err->pos = s->name_pos;
        return -1;
    }
    const char *fmt = opt_value(&t->opts, "format");
    if (t->as_source && fmt && !strcmp(fmt, "debezium_json")) {
        bool pk = s->npk > 0;
        for (uint32_t i = 0; i < s->ncols; i++) pk |= s->cols[i].primary_key;
        if (!pk) {
            wd_err_at(c->err, WD_EPLAN, opt_pos(&t->opts, "format", s->pos),
                      "a debezium_json source needs a PRIMARY KEY");
            wd_err_hint(c->err, "declare the key: id BIGINT PRIMARY KEY, or PRIMARY KEY (a, b)");
            return -1;
        }
        t->updating = true;
    }

    /* Columns. */
    uint32_t nf = 0;
    wd_field *f;
    const wd_type *fixed = t->conn->fixed_schema ? t->conn->fixed_schema(c->a) : NULL;
    if (fixed) {
        if (s->ncols > 0) {
            for (uint32_t i = 0; i < s->ncols; i++)
                if (!s->cols[i].generated)
                    return wd_err_at(c->err, WD_EPLAN, s->cols[i].pos,
                                     "connector '%s' defines its own columns; only GENERATED "
                                     "columns may be added", cname);
        }
        f = wd_arena_calloc(c->a, sizeof *f * (fixed->nfields + s->ncols + 1));
        for (uint32_t i = 0; i < fixed->nfields; i++) f[nf++] = fixed->fields[i];
    } else {
        f = wd_arena_calloc(c->a, sizeof *f * (s->ncols + 1));
        if (s->ncols == 0 && t->as_source)
            return wd_err_at(c->err, WD_EPLAN, s->pos,
                             "source table '%s' needs a column list", s->name);
        for (uint32_t i = 0; i < s->ncols; i++) {
            if (s->cols[i].generated) continue;
            if (!s->cols[i].type)
                return wd_err_at(c->err, WD_ESYNTAX, s->cols[i].pos, "column '%s' needs a type",
                                 s->cols[i].name);
            f[nf].name = s->cols[i].name;
            f[nf].type = an_type(c, s->cols[i].type);
            f[nf].nullable = !s->cols[i].not_null && !s->cols[i].primary_key;
            if (!f[nf].type) return -1;
            nf++;
        }
    }
    for (uint32_t i = 0; i < nf; i++) {
        if (wd_field_is_hidden(f[i].name))
            return wd_err_at(c->err, WD_ENAME, s->pos,
                             "'%s' is reserved for the hidden event-time column", f[i].name);
        for (uint32_t j = 0; j < i; j++)
            if (name_ieq(f[i].name, f[j].name))
                return wd_err_at(c->err, WD_ENAME, s->pos, "column '%s' is declared twice",
                                 f[i].name);
    }
    t->nphys = nf;

    if (s->ncols == 0 && !fixed) {
        t->schema = NULL; /* sink taking the schema of what is inserted */
        goto done;
    }

    /* Generated columns: analyzed over the physical columns, in order. */
    uint32_t ngen = 0;
    for (uint32_t i = 0; i < s->ncols; i++) ngen += s->cols[i].generated != NULL;
    t->gen = wd_arena_calloc(c->a, sizeof(wd_expr *) * (nf + ngen + 1));
    for (uint32_t i = 0; i < s->ncols; i++) {
        const wd_ast_column *col = &s->cols[i];
        if (!col->generated) continue;
        const wd_type *sofar = wd_schema_make(c->a, nf, f);
        wd_rel tmp = {.schema = sofar};
        scope sc = wd_an_scope(c, &tmp, NULL);
        wd_expr *e = an_expr(c, &sc, col->generated);
        if (!e) return -1;
        if (col->type) {
            const wd_type *dt = an_type(c, col->type);
            if (!dt) return -1;
            e = wd_an_coerce(c, e, dt, col->pos, "generated column");
            if (!e) return -1;
        }
        for (uint32_t j = 0; j < nf; j++)
            if (name_ieq(f[j].name, col->name))
                return wd_err_at(c->err, WD_ENAME, col->pos, "column '%s' is declared twice",
                                 col->name);
        t->gen[nf] = e;
        f[nf].name = col->name;
        f[nf].type = e->type;
        f[nf].nullable = true;
        nf++;
    }
    t->schema = wd_schema_make(c->a, nf, f);

    /* Event time: WATERMARK FOR col [AS expr], or the event_time_field option. */
    const char *etf = opt_value(&t->opts, "event_time_field");
    const char *wmf = opt_value(&t->opts, "watermark_field");
    const char *ecol = s->wm_col ? s->wm_col : etf;
    wd_pos epos = s->wm_col ? s->wm_pos : opt_pos(&t->opts, "event_time_field", s->pos);
    if (ecol) {
        int idx = wd_type_field_index(t->schema, ecol);
        if (idx < 0 || (uint32_t)idx >= nf)
            return wd_err_at(c->err, WD_ENAME, epos, "event time column '%s' is not a column of '%s'",
                             ecol, s->name);
        if (t->schema->fields[idx].type->id != WD_T_TIMESTAMP)
            return wd_err_at(c->err, WD_ETYPE, epos,
                             "event time column '%s' must be a TIMESTAMP, not %s", ecol,
                             wd_type_name(t->schema->fields[idx].type));
        t->event_col = idx;
    }
    if (s->wm_expr || wmf) {
        wd_rel tmp = {.schema = t->schema};
        scope sc = wd_an_scope(c, &tmp, NULL);
        wd_expr *e;
        if (s->wm_expr) {
            e = an_expr(c, &sc, s->wm_expr);
            if (!e) return -1;
        } else {
            int idx = wd_type_field_index(t->schema, wmf);
            if (idx < 0)
                return wd_err_at(c->err, WD_ENAME, opt_pos(&t->opts, "watermark_field", s->pos),
                                 "watermark column '%s' is not a column of '%s'", wmf, s->name);
            e = wd_expr_col(c->a, idx, t->schema->fields[idx].type);
        }
        if (e->type->id != WD_T_TIMESTAMP)
            return wd_err_at(c->err, WD_ETYPE,
                             s->wm_expr ? s->wm_expr->pos
                                        : opt_pos(&t->opts, "watermark_field", s->pos),
                             "watermark expression must be a TIMESTAMP, not %s",
                             wd_type_name(e->type));
        t->wm = e;
    }
done:
    GROW(c, c->tables, c->ntables, c->captables);
    c->tables[c->ntables++] = t;
    return 0;
}

static int an_create_view(wd_plan_ctx *c, const wd_ast_stmt *s)
{
    if (name_taken(c, s->name, s->name_pos) < 0) return -1;
    /* Analyze once now so errors point at the view's definition. */
    if (!an_query(c, s->query)) return -1;
    wd_view *v = wd_arena_calloc(c->a, sizeof *v);
    v->name = s->name;
    v->pos = s->name_pos;
    v->query = s->query;
    GROW(c, c->views, c->nviews, c->capviews);
    c->views[c->nviews++] = v;
    return 0;
}

static int an_set(wd_plan_ctx *c, const wd_ast_stmt *s)
{
    static const char *const known[] = {"updating_ttl", "checkpoint_interval", "parallelism"};
    size_t nk = sizeof known / sizeof *known;
    bool ok = false;
    for (size_t i = 0; i < nk; i++) ok |= name_ieq(known[i], s->name);
    if (!ok) {
        const char *sug = wd_suggest(s->name, known, nk);
        wd_err_at(c->err, WD_ENAME, s->name_pos, "unknown setting '%s'%s%s%s", s->name,
                  sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
        wd_err_hint(c->err, "settings: updating_ttl, checkpoint_interval, parallelism");
        return -1;
    }
    scope none = {0};
    wd_expr *e = an_expr(c, &none, s->value);
    if (!e) return -1;
    if (!wd_expr_is_const(e))
        return wd_err_at(c->err, WD_EPLAN, s->value->pos, "a setting's value must be a constant");
    if (name_ieq(s->name, "parallelism")) {
        wd_col v;
        if (e->type->id != WD_T_INT64 || wd_expr_eval_const(e, c->a, &v, c->err) < 0 ||
            !wd_col_valid(&v, 0) || WD_COL_GET(&v, int64_t, 0) < 1 ||
            WD_COL_GET(&v, int64_t, 0) > 1024)
            return wd_err_at(c->err, WD_EPLAN, s->value->pos,
                             "parallelism must be an integer from 1 to 1024");
        c->parallelism = (uint32_t)WD_COL_GET(&v, int64_t, 0);
    } else if (e->type->id != WD_T_INTERVAL) {
        return wd_err_at(c->err, WD_ETYPE, s->value->pos, "setting '%s' takes an INTERVAL, not %s",
                         s->name, wd_type_name(e->type));
    }
    if (name_ieq(s->name, "updating_ttl")) {
        wd_col v;
        if (wd_expr_eval_const(e, c->a, &v, c->err) < 0) return -1;
        wd_interval iv = WD_COL_GET(&v, wd_interval, 0);
        if (!wd_col_valid(&v, 0) || iv.months || wd_interval_ns(iv) <= 0)
            return wd_err_at(c->err, WD_EPLAN, s->value->pos,
                             "updating_ttl must be a positive interval without months");
        c->updating_ttl_ns = wd_interval_ns(iv);
    }
    if (name_ieq(s->name, "checkpoint_interval")) {
        wd_col v;
        if (wd_expr_eval_const(e, c->a, &v, c->err) < 0) return -1;
        wd_interval iv = WD_COL_GET(&v, wd_interval, 0);
        if (!wd_col_valid(&v, 0) || iv.months || wd_interval_ns(iv) < WD_NS_PER_MS)
            return wd_err_at(c->err, WD_EPLAN, s->value->pos,
                             "checkpoint_interval must be at least 1 millisecond, without "
                             "months");
        c->g->checkpoint_interval_ns = wd_interval_ns(iv);
    }
    GROW(c, c->settings, c->nsettings, c->capsettings);
    c->settings[c->nsettings].name = s->name;
    c->settings[c->nsettings].value = e;
    c->nsettings++;
    return 0;
}

/* ---- names ------------------------------------------------------------- */

void wd_an_mark_needed(const scope *sc, uint32_t idx)
{
    if (sc->rel && sc->rel->kind == WD_REL_SCAN && sc->rel->needed) sc->rel->needed[idx] = true;
}

static wd_expr *field_access(wd_plan_ctx *c, wd_expr *e, const char *name, wd_pos pos,
                             const char *owner)
{
    if (e->type->id != WD_T_STRUCT)
        return FAIL_AT(c, pos, WD_ETYPE, "'%s' is %s, not a struct: it has no field '%s'", owner,
                       wd_type_name(e->type), name);
    int fi = wd_type_field_index(e->type, name);
    if (fi < 0) {
        const char *cands[64];
        size_t nc = 0;
        for (uint32_t i = 0; i < e->type->nfields && nc < 64; i++) cands[nc++] = e->type->fields[i].name;
        const char *sug = wd_suggest(name, cands, nc);
        wd_err_at(c->err, WD_ENAME, pos, "unknown field '%s' in '%s'%s%s%s", name, owner,
                  sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
        wd_buf b = WD_BUF_INIT;
        for (size_t i = 0; i < nc; i++) wd_buf_printf(&b, "%s%s", i ? ", " : "", cands[i]);
        wd_err_hint(c->err, "fields of '%s': %s", owner, b.data ? b.data : "");
        wd_buf_free(&b);
        return NULL;
    }
    wd_expr *r = wd_expr_node(c->a, WD_EX_FIELD, e->type->fields[fi].type, 1, &e);
    r->col = fi;
    r->pos = pos;
    return r;
}

static wd_expr *resolve_name(wd_plan_ctx *c, const scope *sc, const wd_ast_expr *e)
{
    const char **p = e->parts;
    uint32_t np = e->nparts;
    int found = -1;
    uint32_t used = 0;
    /* qualifier.column */
    if (np >= 2) {
        for (uint32_t i = 0; i < sc->n; i++)
            if (sc->quals[i] && name_ieq(sc->quals[i], p[0]) &&
                name_eq(sc->schema->fields[i].name, p[1])) {
                found = (int)i;
                used = 2;
                break;
            }
        if (found < 0)
            for (uint32_t i = 0; i < sc->n; i++)
                if (sc->quals[i] && name_ieq(sc->quals[i], p[0]) &&
                    name_ieq(sc->schema->fields[i].name, p[1])) {
                    found = (int)i;
                    used = 2;
                    break;
                }
    }
    if (found < 0) {
        int nmatch = 0;
        for (int pass = 0; pass < 2 && nmatch == 0; pass++)
            for (uint32_t i = 0; i < sc->n; i++) {
                const char *fn = sc->schema->fields[i].name;
                if (pass == 0 ? name_eq(fn, p[0]) : name_ieq(fn, p[0])) {
                    if (nmatch++ == 0) found = (int)i;
                }
            }
        if (nmatch > 1)
            return FAIL_AT(c, e->pos, WD_ENAME,
                           "column name '%s' is ambiguous: qualify it with its table", p[0]);
        used = 1;
    }
    if (found < 0) {
        wd_expr *w = wd_an_window_name(c, p[0], e->pos);
        if (w) {
            const char *owner = p[0];
            for (uint32_t k = 1; k < np && w; k++) {
                w = field_access(c, w, p[k], e->part_pos ? e->part_pos[k] : e->pos, owner);
                owner = p[k];
            }
            return w;
        }
    }
    if (found < 0) {
        /* Build the message: qualified by a known table, or not. */
        bool qual_known = false;
        if (np >= 2)
            for (uint32_t i = 0; i < sc->n; i++)
                if (sc->quals[i] && name_ieq(sc->quals[i], p[0])) qual_known = true;
        const char *want = qual_known ? p[1] : p[0];
        wd_pos pos = qual_known && e->part_pos ? e->part_pos[1] : e->pos;
        const char **cands = wd_arena_alloc(c->a, sizeof(char *) * (sc->n + 1));
        size_t nc = 0;
        for (uint32_t i = 0; i < sc->n; i++) {
            if (wd_field_is_hidden(sc->schema->fields[i].name)) continue;
            if (qual_known && !(sc->quals[i] && name_ieq(sc->quals[i], p[0]))) continue;
            cands[nc++] = sc->schema->fields[i].name;
        }
        const char *sug = wd_suggest(want, cands, nc);
        char where[160] = "";
        const char *only = sc->n ? sc->quals[0] : NULL;
        for (uint32_t i = 1; i < sc->n && only; i++)
            if (!sc->quals[i] || strcmp(sc->quals[i], only)) only = NULL;
        if (qual_known) snprintf(where, sizeof where, " in table '%s'", p[0]);
        else if (only) snprintf(where, sizeof where, " in table '%s'", only);
        else if (sc->n == 0) snprintf(where, sizeof where, " (this expression has no FROM)");
        wd_err_at(c->err, WD_ENAME, pos, "unknown column '%s'%s%s%s%s", want, where,
                  sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
        if (nc) {
            wd_buf b = WD_BUF_INIT;
            for (size_t i = 0; i < nc && i < 30; i++) wd_buf_printf(&b, "%s%s", i ? ", " : "", cands[i]);
            wd_err_hint(c->err, "available columns: %s", b.data);
            wd_buf_free(&b);
        }
        return NULL;
    }
    wd_an_mark_needed(sc, (uint32_t)found);
    wd_expr *r = wd_expr_col(c->a, found, sc->schema->fields[found].type);
    r->pos = e->pos;
    const char *owner = sc->schema->fields[found].name;
    for (uint32_t k = used; k < np; k++) {
        r = field_access(c, r, p[k], e->part_pos ? e->part_pos[k] : e->pos, owner);
        if (!r) return NULL;
        owner = p[k];
    }
    return r;
}

/* ---- expressions ------------------------------------------------------- */

static bool is_text_lit(const wd_expr *e)
{
    return e->kind == WD_EX_LIT && e->type->id == WD_T_TEXT;
}

static bool is_temporal(const wd_type *t)
{
    return t->id == WD_T_TIMESTAMP || t->id == WD_T_DATE || t->id == WD_T_INTERVAL;
}

static const char *const aggregate_names[] = {
    "count", "sum", "avg", "min", "max", "bool_and", "bool_or", "bit_and", "bit_or",
    "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop", "first_value",
    "last_value", "array_agg", "approx_distinct", "mean",
};
static const char *const window_fn_names[] = {"row_number", "rank", "dense_rank", "lag",
                                               "lead", "ntile", "percent_rank", "cume_dist",
                                               "nth_value"};

bool wd_an_in_list(const char *n, const char *const *l, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (!strcmp(n, l[i])) return true;
    return false;
}

/* Resolve a call of a catalog function on analyzed args, inserting casts. */
static wd_expr *call_fn(wd_plan_ctx *c, const char *name, wd_expr **args, uint32_t n, wd_pos pos)
{
    const wd_type *types[64] = {0};
    const wd_type *casts[64] = {0};
    if (n > 64) return FAIL_AT(c, pos, WD_EPLAN, "too many arguments to %s", name);
    /* For operators, a text literal next to a time value converts to it
     * (ts > '2023-…'); named functions take their arguments as written. */
    bool is_op = !isalpha((unsigned char)name[0]);
    if (!is_op) {
    } else if (n == 2 && is_text_lit(args[0]) && is_temporal(args[1]->type))
        args[0] = wd_an_coerce(c, args[0], args[1]->type, args[0]->pos, "literal");
    else if (n == 2 && is_text_lit(args[1]) && is_temporal(args[0]->type))
        args[1] = wd_an_coerce(c, args[1], args[0]->type, args[1]->pos, "literal");
    if ((n >= 1 && !args[0]) || (n == 2 && !args[1])) return NULL;
    for (uint32_t i = 0; i < n; i++) types[i] = args[i]->type;
    const wd_func *fn;
    const wd_type *ret;
    wd_error e2 = {0};
    if (wd_func_resolve(name, types, n, c->a, &fn, &ret, casts, &e2) < 0) {
        static const char *const cmp[] = {"=", "<>", "<", "<=", ">", ">=", "is distinct from",
                                          "is not distinct from"};
        if (n == 2 && wd_an_in_list(name, cmp, sizeof cmp / sizeof *cmp)) {
            wd_err_at(c->err, WD_ETYPE, pos, "cannot compare %s with %s",
                      wd_type_name(types[0]), wd_type_name(types[1]));
            wd_err_hint(c->err, "cast one side to the other's type, e.g. CAST(x AS %s)",
                        wd_type_name(types[1]));
            return NULL;
        }
        wd_err_at(c->err, e2.code, pos, "%s", e2.msg);
        if (e2.hint[0]) wd_err_hint(c->err, "%s", e2.hint);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        if (casts[i]) {
            args[i] = wd_an_coerce(c, args[i], casts[i], args[i]->pos, "argument");
            if (!args[i]) return NULL;
        }
    wd_expr *r = wd_expr_call(c->a, fn, ret, n, args);
    r->pos = pos;
    return r;
}

wd_expr *wd_an_need_bool(wd_plan_ctx *c, wd_expr *e, const char *what)
{
    if (!e) return NULL;
    if (e->type->id == WD_T_BOOL) return e;
    if (e->type->id == WD_T_NULL) return wd_an_coerce(c, e, WD_TYPE_BOOL, e->pos, what);
    return FAIL_AT(c, e->pos, WD_ETYPE, "%s must be BOOLEAN, not %s", what, wd_type_name(e->type));
}

/* Cast every expression to their common type. */
int wd_an_unify(wd_plan_ctx *c, wd_expr **es, uint32_t n, const char *what, const wd_type **out)
{
    const wd_type *t = NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (!t) { t = es[i]->type; continue; }
        const wd_type *u = wd_type_common(c->a, t, es[i]->type);
        if (!u) {
            /* a text literal among time values converts to them */
            if (is_text_lit(es[i]) && is_temporal(t)) continue;
            if (t->id == WD_T_TEXT && is_temporal(es[i]->type)) { t = es[i]->type; continue; }
            char a[96], b[96];
            wd_type_format(t, a, sizeof a);
            wd_type_format(es[i]->type, b, sizeof b);
            return wd_err_at(c->err, WD_ETYPE, es[i]->pos, "%s: %s and %s have no common type",
                             what, a, b);
        }
        t = u;
    }
    if (t && t->id == WD_T_NULL) t = WD_TYPE_TEXT;
    for (uint32_t i = 0; i < n; i++) {
        es[i] = wd_an_coerce(c, es[i], t, es[i]->pos, what);
        if (!es[i]) return -1;
    }
    *out = t;
    return 0;
}

static wd_expr *an_call(wd_plan_ctx *c, const scope *sc, const wd_ast_expr *e)
{
    const char *name = e->name;
    if (e->over || wd_an_in_list(name, window_fn_names, sizeof window_fn_names / sizeof *window_fn_names)) {
        if (!e->over)
            return FAIL_AT(c, e->pos, WD_ESYNTAX, "window function %s() needs an OVER (…) clause",
                           name);
        if (!c->wf)
            return FAIL_AT(c, e->pos, WD_EPLAN,
                           "window function %s() is only allowed in the SELECT list", name);
        return wd_an_wf_call(c, sc, e);
    }
    if (wd_an_in_list(name, aggregate_names, sizeof aggregate_names / sizeof *aggregate_names) ||
        e->filter || (e->star && !strcmp(name, "count"))) {
        if (!c->agg)
            return FAIL_AT(c, e->pos, WD_EPLAN, "aggregate function %s() is not allowed here",
                           name);
        return wd_an_agg_call(c, sc, e);
    }
    if (wd_an_is_window_call(e)) {
        if (!c->agg)
            return FAIL_AT(c, e->pos, WD_EPLAN,
                           "%s() defines a window: it belongs in GROUP BY (and may also be "
                           "selected)", name);
        return wd_an_window_call(c, sc, e);
    }
    if (!strcmp(name, "unnest"))
        return FAIL_AT(c, e->pos, WD_EPLAN,
                       "unnest() may only appear as a whole item of the SELECT list");
    if (e->star)
        return FAIL_AT(c, e->pos, WD_ESYNTAX, "%s(*) is only valid for count(*)", name);
    if (e->distinct)
        return FAIL_AT(c, e->pos, WD_ESYNTAX, "DISTINCT applies to aggregates only, and %s() is "
                                               "not one", name);
    wd_expr **args = wd_arena_alloc(c->a, sizeof(wd_expr *) * (e->nargs + 1));
    for (uint32_t i = 0; i < e->nargs; i++) {
        args[i] = an_expr(c, sc, e->args[i]);
        if (!args[i]) return NULL;
    }
    if (!strcmp(name, "coalesce")) {
        if (e->nargs == 0) return FAIL_AT(c, e->pos, WD_ESYNTAX, "coalesce() needs arguments");
        const wd_type *t;
        if (wd_an_unify(c, args, e->nargs, "coalesce", &t) < 0) return NULL;
        wd_expr *r = wd_expr_node(c->a, WD_EX_COALESCE, t, e->nargs, args);
        r->pos = e->pos;
        return r;
    }
    if (!strcmp(name, "make_array") || !strcmp(name, "array")) {
        const wd_type *t = WD_TYPE_TEXT;
        if (e->nargs && wd_an_unify(c, args, e->nargs, "array element", &t) < 0) return NULL;
        wd_expr *r = wd_expr_node(c->a, WD_EX_ARRAY, wd_type_list(c->a, t), e->nargs, args);
        r->pos = e->pos;
        return r;
    }
    return call_fn(c, name, args, e->nargs, e->pos);
}

static wd_expr *an_binary(wd_plan_ctx *c, const scope *sc, const wd_ast_expr *e)
{
    const char *op = e->op;
    wd_expr *l = an_expr(c, sc, e->args[0]);
    if (!l) return NULL;
    wd_expr *r = an_expr(c, sc, e->args[1]);
    if (!r) return NULL;
    if (!strcmp(op, "and") || !strcmp(op, "or")) {
        wd_expr *args[2] = {wd_an_need_bool(c, l, "operand of AND/OR"), NULL};
        if (!args[0]) return NULL;
        args[1] = wd_an_need_bool(c, r, "operand of AND/OR");
        if (!args[1]) return NULL;
        wd_expr *x = wd_expr_node(c->a, !strcmp(op, "and") ? WD_EX_AND : WD_EX_OR, WD_TYPE_BOOL, 2,
                                  args);
        x->pos = e->pos;
        return x;
    }
    wd_expr *args[2] = {l, r};
    return call_fn(c, op, args, 2, e->pos);
}

static wd_expr *an_expr_inner(wd_plan_ctx *c, const scope *sc, const wd_ast_expr *e)
{
    wd_expr *r = NULL;
    switch (e->kind) {
    case WD_AX_NAME:
        return resolve_name(c, sc, e);
    case WD_AX_STAR:
        return FAIL_AT(c, e->pos, WD_ESYNTAX, "'*' is not allowed here");
    case WD_AX_INT: {
        errno = 0;
        char *end;
        long long v = strtoll(e->text, &end, 10);
        if (errno == ERANGE || *end) {
            double d = strtod(e->text, NULL);
            r = wd_expr_lit_f64(c->a, d);
        } else {
            r = wd_expr_lit_i64(c->a, v);
        }
        break;
    }
    case WD_AX_NUM:
        r = wd_expr_lit_f64(c->a, strtod(e->text, NULL));
        break;
    case WD_AX_STRING:
        r = wd_expr_lit_text(c->a, e->str, e->len);
        break;
    case WD_AX_BOOL:
        r = wd_expr_lit_bool(c->a, e->ival != 0);
        break;
    case WD_AX_NULL:
        r = wd_expr_lit_null(c->a, WD_TYPE_NULL);
        break;
    case WD_AX_INTERVAL: {
        wd_interval iv;
        if (wd_interval_parse(e->str, e->len, e->unit, &iv) < 0) {
            wd_err_at(c->err, WD_ESYNTAX, e->pos, "invalid interval '%.*s'%s%s", (int)e->len,
                      e->str, e->unit ? " " : "", e->unit ? e->unit : "");
            wd_err_hint(c->err, "write e.g. interval '2 seconds', interval '1 hour 30 minutes' "
                                "or INTERVAL '5' SECOND");
            return NULL;
        }
        r = wd_expr_lit(c->a, WD_TYPE_INTERVAL);
        *(wd_interval *)r->lit.data = iv;
        break;
    }
    case WD_AX_TYPED_LIT: {
        const char *tn = e->type ? e->type->name : "";
        wd_expr *s = wd_expr_lit_text(c->a, e->str, e->len);
        s->pos = e->pos;
        const wd_type *t = !strcmp(tn, "timestamp") ? WD_TYPE_TIMESTAMP
                           : !strcmp(tn, "date")    ? WD_TYPE_DATE
                           : !strcmp(tn, "interval") ? WD_TYPE_INTERVAL
                                                     : NULL;
        if (!t) return FAIL_AT(c, e->pos, WD_EUNSUPPORTED, "%s literals are not supported", tn);
        return wd_an_coerce(c, s, t, e->pos, "literal");
    }
    case WD_AX_UNARY: {
        if (!strcmp(e->op, "not")) {
            wd_expr *a = wd_an_need_bool(c, an_expr(c, sc, e->args[0]), "operand of NOT");
            if (!a) return NULL;
            r = wd_expr_node(c->a, WD_EX_NOT, WD_TYPE_BOOL, 1, &a);
            break;
        }
        if (!strcmp(e->op, "+")) return an_expr(c, sc, e->args[0]);
        /* fold -literal so that -9223372036854775808 is a valid BIGINT */
        const wd_ast_expr *x = e->args[0];
        if (x->kind == WD_AX_INT || x->kind == WD_AX_NUM) {
            char buf[128];
            snprintf(buf, sizeof buf, "-%s", x->text);
            errno = 0;
            char *end;
            long long v = strtoll(buf, &end, 10);
            if (x->kind == WD_AX_INT && errno != ERANGE && !*end) r = wd_expr_lit_i64(c->a, v);
            else r = wd_expr_lit_f64(c->a, strtod(buf, NULL));
            break;
        }
        wd_expr *a = an_expr(c, sc, x);
        if (!a) return NULL;
        return call_fn(c, "neg", &a, 1, e->pos);
    }
    case WD_AX_BINARY:
        return an_binary(c, sc, e);
    case WD_AX_IS: {
        wd_expr *a = an_expr(c, sc, e->args[0]);
        if (!a) return NULL;
        wd_expr_kind k;
        if (!strcmp(e->op, "null")) k = e->neg ? WD_EX_IS_NOT_NULL : WD_EX_IS_NULL;
        else {
            a = wd_an_need_bool(c, a, "operand of IS TRUE/FALSE");
            if (!a) return NULL;
            if (!strcmp(e->op, "true")) k = e->neg ? WD_EX_IS_NOT_TRUE : WD_EX_IS_TRUE;
            else k = e->neg ? WD_EX_IS_NOT_FALSE : WD_EX_IS_FALSE;
        }
        r = wd_expr_node(c->a, k, WD_TYPE_BOOL, 1, &a);
        break;
    }
    case WD_AX_BETWEEN: {
        wd_expr *x = an_expr(c, sc, e->args[0]);
        wd_expr *lo = x ? an_expr(c, sc, e->args[1]) : NULL;
        wd_expr *hi = lo ? an_expr(c, sc, e->args[2]) : NULL;
        if (!hi) return NULL;
        wd_expr *a1[2] = {x, lo}, *a2[2] = {x, hi};
        wd_expr *ge = call_fn(c, ">=", a1, 2, e->pos);
        wd_expr *le = ge ? call_fn(c, "<=", a2, 2, e->pos) : NULL;
        if (!le) return NULL;
        wd_expr *both[2] = {ge, le};
        r = wd_expr_node(c->a, WD_EX_AND, WD_TYPE_BOOL, 2, both);
        if (e->neg) r = wd_expr_node(c->a, WD_EX_NOT, WD_TYPE_BOOL, 1, &r);
        break;
    }
    case WD_AX_IN_LIST: {
        wd_expr **args = wd_arena_alloc(c->a, sizeof(wd_expr *) * (e->nargs + 1));
        for (uint32_t i = 0; i < e->nargs; i++) {
            args[i] = an_expr(c, sc, e->args[i]);
            if (!args[i]) return NULL;
        }
        const wd_type *t;
        if (wd_an_unify(c, args, e->nargs, "IN list", &t) < 0) return NULL;
        r = wd_expr_node(c->a, WD_EX_IN, WD_TYPE_BOOL, e->nargs, args);
        if (e->neg) r->flags |= WD_EXF_NEG;
        break;
    }
    case WD_AX_IN_QUERY:
    case WD_AX_SUBQUERY:
    case WD_AX_EXISTS:
        return FAIL_AT(c, e->pos, WD_EUNSUPPORTED, "subqueries in expressions are not supported yet");
    case WD_AX_CASE: {
        uint32_t n = e->nargs, k = 0;
        uint32_t i0 = e->has_operand ? 1 : 0;
        wd_expr *operand = NULL;
        if (e->has_operand && !(operand = an_expr(c, sc, e->args[0]))) return NULL;
        wd_expr **args = wd_arena_alloc(c->a, sizeof(wd_expr *) * (n + 1));
        uint32_t nwhen = (n - i0 - (e->has_else ? 1 : 0)) / 2;
        wd_expr **thens = wd_arena_alloc(c->a, sizeof(wd_expr *) * (nwhen + 2));
        uint32_t nthen = 0;
        for (uint32_t w = 0; w < nwhen; w++) {
            wd_expr *cond = an_expr(c, sc, e->args[i0 + 2 * w]);
            if (!cond) return NULL;
            if (operand) {
                wd_expr *eq[2] = {operand, cond};
                cond = call_fn(c, "=", eq, 2, e->args[i0 + 2 * w]->pos);
            } else {
                cond = wd_an_need_bool(c, cond, "CASE WHEN condition");
            }
            if (!cond) return NULL;
            args[k++] = cond;
            thens[nthen] = an_expr(c, sc, e->args[i0 + 2 * w + 1]);
            if (!thens[nthen]) return NULL;
            args[k++] = thens[nthen++];
        }
        if (e->has_else) {
            thens[nthen] = an_expr(c, sc, e->args[n - 1]);
            if (!thens[nthen]) return NULL;
            nthen++;
        }
        const wd_type *t;
        if (wd_an_unify(c, thens, nthen, "CASE result", &t) < 0) return NULL;
        for (uint32_t w = 0; w < nwhen; w++) args[2 * w + 1] = thens[w];
        if (e->has_else) args[k++] = thens[nthen - 1];
        r = wd_expr_node(c->a, WD_EX_CASE, t, k, args);
        if (e->has_else) r->flags |= WD_EXF_ELSE;
        break;
    }
    case WD_AX_CAST: {
        wd_expr *a = an_expr(c, sc, e->args[0]);
        if (!a) return NULL;
        const wd_type *t = an_type(c, e->type);
        if (!t) return NULL;
        if (e->try_) {
            if (!wd_cast_allowed(a->type, t))
                return FAIL_AT(c, e->pos, WD_ETYPE, "cannot cast %s to %s", wd_type_name(a->type),
                               wd_type_name(t));
            r = wd_expr_cast(c->a, a, t);
            r->flags |= WD_EXF_TRY;
            break;
        }
        return wd_an_coerce(c, a, t, e->pos, "CAST");
    }
    case WD_AX_CALL:
        return an_call(c, sc, e);
    case WD_AX_EXTRACT: {
        wd_expr *args[2];
        args[0] = wd_expr_lit_text(c->a, e->text, strlen(e->text));
        args[1] = an_expr(c, sc, e->args[0]);
        if (!args[1]) return NULL;
        return call_fn(c, "date_part", args, 2, e->pos);
    }
    case WD_AX_SUBSCRIPT: {
        wd_expr *args[2] = {an_expr(c, sc, e->args[0]), NULL};
        if (!args[0] || !(args[1] = an_expr(c, sc, e->args[1]))) return NULL;
        return call_fn(c, "[]", args, 2, e->pos);
    }
    case WD_AX_FIELD: {
        wd_expr *a = an_expr(c, sc, e->args[0]);
        if (!a) return NULL;
        return field_access(c, a, e->text, e->pos, "expression");
    }
    case WD_AX_ARRAY: {
        wd_expr **args = wd_arena_alloc(c->a, sizeof(wd_expr *) * (e->nargs + 1));
        for (uint32_t i = 0; i < e->nargs; i++)
            if (!(args[i] = an_expr(c, sc, e->args[i]))) return NULL;
        const wd_type *t = WD_TYPE_INT64;
        if (e->nargs && wd_an_unify(c, args, e->nargs, "array element", &t) < 0) return NULL;
        r = wd_expr_node(c->a, WD_EX_ARRAY, wd_type_list(c->a, t), e->nargs, args);
        break;
    }
    case WD_AX_ROW: {
        wd_expr **args = wd_arena_alloc(c->a, sizeof(wd_expr *) * (e->nargs + 1));
        wd_field *f = wd_arena_calloc(c->a, sizeof *f * (e->nargs + 1));
        for (uint32_t i = 0; i < e->nargs; i++) {
            if (!(args[i] = an_expr(c, sc, e->args[i]))) return NULL;
            f[i].name = wd_arena_printf(c->a, "f%u", i + 1);
            f[i].type = args[i]->type->id == WD_T_NULL ? WD_TYPE_TEXT : args[i]->type;
            f[i].nullable = true;
            if (args[i]->type->id == WD_T_NULL) args[i] = wd_an_coerce(c, args[i], WD_TYPE_TEXT, e->pos, "ROW");
        }
        r = wd_expr_node(c->a, WD_EX_ROW, wd_type_struct(c->a, e->nargs, f), e->nargs, args);
        break;
    }
    }
    if (r) r->pos = e->pos;
    return r;
}

wd_expr *wd_an_expr(wd_plan_ctx *c, const scope *sc, const wd_ast_expr *e)
{
    if (++c->depth > 200) {
        c->depth--;
        return FAIL_AT(c, e->pos, WD_EPLAN, "expression nested too deeply");
    }
    wd_expr *r = an_expr_inner(c, sc, e);
    c->depth--;
    return r;
}

/* ---- queries ------------------------------------------------------------ */

static const wd_ast_cte *find_cte(wd_plan_ctx *c, const char *name)
{
    for (uint32_t i = c->nctes; i-- > 0;)
        if (name_ieq(c->ctes[i]->name, name)) return c->ctes[i];
    return NULL;
}

wd_rel *wd_an_new_rel(wd_plan_ctx *c, wd_rel_kind k, wd_pos pos)
{
    wd_rel *r = wd_arena_calloc(c->a, sizeof *r);
    r->kind = k;
    r->pos = pos;
    r->unnest_col = -1;
    return r;
}

/* A rel whose fields are all qualified by qual. */
static void set_quals(wd_plan_ctx *c, wd_rel *r, const char *qual)
{
    r->quals = wd_arena_alloc(c->a, sizeof(char *) * r->schema->nfields);
    for (uint32_t i = 0; i < r->schema->nfields; i++) r->quals[i] = qual;
}

static wd_rel *scan_table(wd_plan_ctx *c, wd_table *t, const char *alias, wd_pos pos)
{
    if (t->memory) {
        /* an identity projection over the inserts, under the table's name */
        wd_rel *r = wd_an_new_rel(c, WD_REL_CALC, pos);
        r->nin = 1;
        r->in = wd_arena_alloc(c->a, sizeof(wd_rel *));
        r->in[0] = t->mem;
        r->schema = t->schema;
        r->nexprs = t->schema->nfields;
        r->exprs = wd_arena_alloc(c->a, sizeof(wd_expr *) * r->nexprs);
        for (uint32_t i = 0; i < r->nexprs; i++)
            r->exprs[i] = wd_expr_col(c->a, (int)i, t->schema->fields[i].type);
        r->updating = t->mem->updating;
        set_quals(c, r, alias ? alias : t->name);
        return r;
    }
    if (!t->as_source)
        return FAIL_AT(c, pos, WD_EPLAN, "table '%s' is a sink (connector '%s'); it cannot be "
                                          "read from", t->name, t->conn->name);
    wd_rel *r = wd_an_new_rel(c, WD_REL_SCAN, pos);
    r->table = t;
    r->schema = t->schema;
    r->needed = wd_arena_calloc(c->a, t->schema->nfields + 1);
    r->updating = t->updating;
    set_quals(c, r, alias ? alias : t->name);
    return r;
}

static wd_rel *an_from(wd_plan_ctx *c, const wd_ast_from *f)
{
    switch (f->kind) {
    case WD_AF_TABLE: {
        const wd_ast_cte *cte = find_cte(c, f->name);
        if (cte) {
            wd_rel *r = an_query(c, cte->query);
            if (!r) return NULL;
            /* re-qualify under the CTE's name or alias */
            wd_rel *q = wd_arena_alloc(c->a, sizeof *q);
            *q = *r;
            set_quals(c, q, f->alias ? f->alias : cte->name);
            return q;
        }
        wd_table *t = wd_an_find_table(c, f->name);
        if (t) return scan_table(c, t, f->alias, f->pos);
        wd_view *v = find_view(c, f->name);
        if (v) {
            wd_rel *r = an_query(c, v->query);
            if (!r) return NULL;
            wd_rel *q = wd_arena_alloc(c->a, sizeof *q);
            *q = *r;
            set_quals(c, q, f->alias ? f->alias : v->name);
            return q;
        }
        const char **cands = wd_arena_alloc(c->a, sizeof(char *) * (c->ntables + c->nviews + c->nctes + 1));
        size_t nc = 0;
        for (uint32_t i = 0; i < c->ntables; i++) cands[nc++] = c->tables[i]->name;
        for (uint32_t i = 0; i < c->nviews; i++) cands[nc++] = c->views[i]->name;
        for (uint32_t i = 0; i < c->nctes; i++) cands[nc++] = c->ctes[i]->name;
        const char *sug = wd_suggest(f->name, cands, nc);
        wd_err_at(c->err, WD_ENAME, f->pos, "unknown table '%s'%s%s%s", f->name,
                  sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
        if (nc) {
            wd_buf b = WD_BUF_INIT;
            for (size_t i = 0; i < nc; i++) wd_buf_printf(&b, "%s%s", i ? ", " : "", cands[i]);
            wd_err_hint(c->err, "tables and views: %s", b.data);
            wd_buf_free(&b);
        } else {
            wd_err_hint(c->err, "declare it first with CREATE TABLE %s (…) WITH (connector = …)",
                        f->name);
        }
        return NULL;
    }
    case WD_AF_SUBQUERY: {
        wd_rel *r = an_query(c, f->query);
        if (!r) return NULL;
        wd_rel *q = wd_arena_alloc(c->a, sizeof *q);
        *q = *r;
        set_quals(c, q, f->alias);
        return q;
    }
    case WD_AF_JOIN: {
        wd_rel *l = an_from(c, f->left);
        if (!l) return NULL;
        wd_rel *r = an_from(c, f->right);
        if (!r) return NULL;
        return wd_an_join(c, f, l, r);
    }
    case WD_AF_FUNC:
        return FAIL_AT(c, f->pos, WD_EUNSUPPORTED, "table functions in FROM are not supported yet");
    }
    return NULL;
}

bool wd_an_has_aggregate(const wd_ast_expr *e)
{
    if (!e) return false;
    if (e->kind == WD_AX_CALL && !e->over &&
        (e->filter || wd_an_in_list(e->name, aggregate_names,
                                    sizeof aggregate_names / sizeof *aggregate_names)))
        return true;
    for (uint32_t i = 0; i < e->nargs; i++)
        if (wd_an_has_aggregate(e->args[i])) return true;
    return false;
}

/* Output name of a SELECT item without alias. */
const char *wd_an_item_name(wd_plan_ctx *c, const wd_ast_expr *e, uint32_t i)
{
    switch (e->kind) {
    case WD_AX_NAME: return e->parts[e->nparts - 1];
    case WD_AX_FIELD: return e->text;
    case WD_AX_CALL: return e->name;
    case WD_AX_CAST: return wd_an_item_name(c, e->args[0], i);
    default: return wd_arena_printf(c->a, "_col%u", i);
    }
}

static wd_rel *an_select(wd_plan_ctx *c, const wd_ast_select *s)
{
    wd_rel *in;
    if (s->nfrom == 0) {
        return FAIL_AT(c, s->pos, WD_EUNSUPPORTED,
                       "SELECT without FROM is not supported in a streaming query");
    }
    if (s->nfrom > 1)
        return FAIL_AT(c, s->from[1]->pos, WD_EUNSUPPORTED,
                       "comma joins are not supported: a streaming join needs JOIN … ON with an "
                       "equality between the two sides");
    if (!(in = an_from(c, s->from[0]))) return NULL;
    if (s->distinct) return FAIL_AT(c, s->pos, WD_EUNSUPPORTED, "SELECT DISTINCT is not supported yet");
    scope sc = wd_an_scope(c, in, NULL);
    bool agg = s->ngroup > 0 || s->having, wf = false;
    for (uint32_t i = 0; i < s->nitems; i++) {
        agg |= wd_an_has_aggregate(s->items[i].expr);
        wf |= wd_an_has_wf(s->items[i].expr);
    }
    if (agg || wf) {
        const wd_expr *where = NULL;
        if (s->where) {
            if (wd_an_has_aggregate(s->where))
                return FAIL_AT(c, s->where->pos, WD_EPLAN,
                               "aggregate functions are not allowed in WHERE (use HAVING)");
            where = wd_an_need_bool(c, an_expr(c, &sc, s->where), "WHERE condition");
            if (!where) return NULL;
        }
        if (agg && wf)
            return FAIL_AT(c, s->pos, WD_EUNSUPPORTED,
                           "window functions and GROUP BY in one SELECT are not supported yet: "
                           "aggregate in a subquery, then apply the window function over it");
        return agg ? wd_an_select_agg(c, s, in, where) : wd_an_select_winfn(c, s, in, where);
    }

    wd_rel *r = wd_an_new_rel(c, WD_REL_CALC, s->pos);
    r->nin = 1;
    r->in = wd_arena_alloc(c->a, sizeof(wd_rel *));
    r->in[0] = in;
    if (s->where) {
        if (wd_an_has_aggregate(s->where))
            return FAIL_AT(c, s->where->pos, WD_EPLAN, "aggregate functions are not allowed in WHERE");
        r->filter = wd_an_need_bool(c, an_expr(c, &sc, s->where), "WHERE condition");
        if (!r->filter) return NULL;
    }

    /* Expand the SELECT list. */
    uint32_t cap = 16, n = 0;
    wd_expr **exprs = wd_arena_alloc(c->a, sizeof(wd_expr *) * cap);
    const char **names = wd_arena_alloc(c->a, sizeof(char *) * cap);
    const char **quals = wd_arena_alloc(c->a, sizeof(char *) * cap);
    for (uint32_t i = 0; i < s->nitems; i++) {
        const wd_ast_select_item *it = &s->items[i];
        const wd_ast_expr *e = it->expr;
        if (n + sc.n + 1 >= cap) {
            uint32_t nc = (n + sc.n + 1) * 2;
            wd_expr **e2 = wd_arena_alloc(c->a, sizeof(wd_expr *) * nc);
            const char **n2 = wd_arena_alloc(c->a, sizeof(char *) * nc);
            const char **q2 = wd_arena_alloc(c->a, sizeof(char *) * nc);
            memcpy(e2, exprs, sizeof(wd_expr *) * n);
            memcpy(n2, names, sizeof(char *) * n);
            memcpy(q2, quals, sizeof(char *) * n);
            exprs = e2, names = n2, quals = q2, cap = nc;
        }
        if (e->kind == WD_AX_STAR) {
            bool any = false;
            for (uint32_t k = 0; k < sc.n; k++) {
                const char *fn = sc.schema->fields[k].name;
                if (wd_field_is_hidden(fn)) continue;
                if (e->nparts == 1 && !(sc.quals[k] && name_ieq(sc.quals[k], e->parts[0]))) continue;
                wd_an_mark_needed(&sc, k);
                exprs[n] = wd_expr_col(c->a, (int)k, sc.schema->fields[k].type);
                names[n] = fn;
                quals[n] = NULL;
                n++;
                any = true;
            }
            if (!any && e->nparts == 1)
                return FAIL_AT(c, e->pos, WD_ENAME, "unknown table '%s' in %s.*", e->parts[0],
                               e->parts[0]);
            continue;
        }
        if (e->kind == WD_AX_CALL && !strcmp(e->name, "unnest")) {
            if (r->unnest_col >= 0)
                return FAIL_AT(c, e->pos, WD_EUNSUPPORTED, "only one unnest() per SELECT is supported");
            if (e->nargs != 1) return FAIL_AT(c, e->pos, WD_ESYNTAX, "unnest() takes one array");
            wd_expr *a = an_expr(c, &sc, e->args[0]);
            if (!a) return NULL;
            if (a->type->id != WD_T_LIST)
                return FAIL_AT(c, e->args[0]->pos, WD_ETYPE, "unnest() needs an array, not %s",
                               wd_type_name(a->type));
            r->unnest_col = (int)n;
            exprs[n] = a;
        } else {
            exprs[n] = an_expr(c, &sc, e);
            if (!exprs[n]) return NULL;
            if (exprs[n]->type->id == WD_T_NULL) exprs[n] = wd_an_coerce(c, exprs[n], WD_TYPE_TEXT, e->pos, "NULL");
        }
        names[n] = it->alias ? it->alias : wd_an_item_name(c, e, i + 1);
        if (wd_field_is_hidden(names[n])) {
            wd_err_at(c->err, WD_ENAME, it->alias ? it->alias_pos : e->pos,
                      "'%s' is the name of the hidden event-time column", names[n]);
            wd_err_hint(c->err, "give this column another name, e.g. %s AS event_time",
                        it->alias ? "… " : "_timestamp");
            return NULL;
        }
        quals[n] = NULL;
        n++;
    }
    /* Unique output names: later duplicates get a suffix. */
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (name_ieq(names[i], names[j])) {
                names[i] = wd_arena_printf(c->a, "%s_%u", names[i], i + 1);
                j = (uint32_t)-1;
            }
    wd_field *f = wd_arena_calloc(c->a, sizeof *f * (n + 1));
    for (uint32_t i = 0; i < n; i++) {
        f[i].name = names[i];
        f[i].type = (int)i == r->unnest_col ? exprs[i]->type->elem : exprs[i]->type;
        f[i].nullable = true;
    }
    r->schema = wd_schema_make(c->a, n, f);
    r->nexprs = n + 1;
    r->exprs = wd_arena_alloc(c->a, sizeof(wd_expr *) * (n + 1));
    memcpy(r->exprs, exprs, sizeof(wd_expr *) * n);
    uint32_t ts = wd_schema_ts_index(in->schema);
    wd_an_mark_needed(&sc, ts);
    r->exprs[n] = wd_expr_col(c->a, (int)ts, WD_TYPE_TIMESTAMP);
    r->quals = wd_arena_alloc(c->a, sizeof(char *) * (n + 1));
    memcpy(r->quals, quals, sizeof(char *) * n);
    r->quals[n] = NULL;
    if (r->filter) wd_an_detect_topn(r);
    r->updating = in->updating;
    return r;
}

/* Wrap r in a CALC casting its fields to the types of schema. */
wd_rel *wd_an_cast_rel(wd_plan_ctx *c, wd_rel *r, const wd_type *schema, wd_pos pos,
                       const char *what)
{
    bool same = true;
    for (uint32_t i = 0; i < schema->nfields; i++)
        if (!wd_type_eq(r->schema->fields[i].type, schema->fields[i].type) ||
            strcmp(r->schema->fields[i].name, schema->fields[i].name))
            same = false;
    if (same) return r;
    wd_rel *x = wd_an_new_rel(c, WD_REL_CALC, pos);
    x->nin = 1;
    x->in = wd_arena_alloc(c->a, sizeof(wd_rel *));
    x->in[0] = r;
    x->nexprs = schema->nfields;
    x->exprs = wd_arena_alloc(c->a, sizeof(wd_expr *) * schema->nfields);
    for (uint32_t i = 0; i < schema->nfields; i++) {
        wd_expr *e = wd_expr_col(c->a, (int)i, r->schema->fields[i].type);
        e->pos = pos;
        const wd_type *to = schema->fields[i].type;
        if (!wd_type_eq(e->type, to)) {
            if (!wd_cast_allowed(e->type, to)) {
                char a[96], b[96];
                wd_type_format(e->type, a, sizeof a);
                wd_type_format(to, b, sizeof b);
                return FAIL_AT(c, pos, WD_ETYPE, "%s column '%s': cannot convert %s to %s", what,
                               schema->fields[i].name, a, b);
            }
            e = wd_expr_cast(c->a, e, to);
            e->pos = pos;
        }
        x->exprs[i] = e;
    }
    x->schema = schema;
    x->quals = r->quals;
    return x;
}

static wd_rel *an_query_inner(wd_plan_ctx *c, const wd_ast_query *q)
{
    if (q->norder)
        return FAIL_AT(c, q->order[0].expr->pos, WD_EUNSUPPORTED,
                       "ORDER BY is not supported in a streaming query (use it inside OVER (…))");
    if (q->limit) return FAIL_AT(c, q->limit->pos, WD_EUNSUPPORTED, "LIMIT is not supported in a streaming query");
    switch (q->kind) {
    case WD_AQ_SELECT:
        return an_select(c, q->select);
    case WD_AQ_VALUES:
        return FAIL_AT(c, q->pos, WD_EUNSUPPORTED, "VALUES is not supported yet");
    case WD_AQ_SETOP: {
        if (strcmp(q->setop, "union") || !q->all)
            return FAIL_AT(c, q->pos, WD_EUNSUPPORTED, "%s%s is not supported yet; use UNION ALL",
                           q->setop, q->all ? " ALL" : "");
        wd_rel *l = an_query(c, q->left);
        if (!l) return NULL;
        wd_rel *r = an_query(c, q->right);
        if (!r) return NULL;
        if (l->schema->nfields != r->schema->nfields)
            return FAIL_AT(c, q->right->pos, WD_EPLAN,
                           "UNION ALL inputs have %u and %u columns", l->schema->nfields - 1,
                           r->schema->nfields - 1);
        /* flatten nested unions */
        wd_rel *u = wd_an_new_rel(c, WD_REL_UNION, q->pos);
        uint32_t nl = l->kind == WD_REL_UNION ? l->nin : 1;
        u->nin = nl + 1;
        u->in = wd_arena_alloc(c->a, sizeof(wd_rel *) * u->nin);
        if (l->kind == WD_REL_UNION) memcpy(u->in, l->in, sizeof(wd_rel *) * nl);
        else u->in[0] = l;
        u->in[nl] = r;
        /* common types per column */
        uint32_t nf = l->schema->nfields;
        wd_field *f = wd_arena_calloc(c->a, sizeof *f * nf);
        for (uint32_t i = 0; i + 1 < nf; i++) {
            f[i] = l->schema->fields[i];
            const wd_type *t = wd_type_common(c->a, f[i].type, r->schema->fields[i].type);
            if (!t)
                return FAIL_AT(c, q->right->pos, WD_ETYPE,
                               "UNION ALL column %u ('%s'): %s and %s have no common type", i + 1,
                               f[i].name, wd_type_name(f[i].type),
                               wd_type_name(r->schema->fields[i].type));
            f[i].type = t;
        }
        u->schema = wd_schema_make(c->a, nf - 1, f);
        for (uint32_t i = 0; i < u->nin; i++) {
            u->in[i] = wd_an_cast_rel(c, u->in[i], u->schema, q->pos, "UNION ALL");
            if (!u->in[i]) return NULL;
        }
        u->quals = l->quals;
        return u;
    }
    }
    return NULL;
}

static wd_rel *an_query(wd_plan_ctx *c, const wd_ast_query *q)
{
    if (++c->depth > 64) {
        c->depth--;
        return FAIL_AT(c, q->pos, WD_EPLAN, "queries nested too deeply");
    }
    uint32_t saved = c->nctes;
    for (uint32_t i = 0; i < q->nctes; i++) {
        GROW(c, c->ctes, c->nctes, c->capctes);
        c->ctes[c->nctes++] = &q->ctes[i];
    }
    wd_rel *r = an_query_inner(c, q);
    c->nctes = saved;
    c->depth--;
    return r;
}

/* Outputs are planned once every statement is analyzed (memory tables may
 * receive inserts after a query reads them). */
static int add_output(wd_plan_ctx *c, wd_table *t, wd_rel *r, wd_pos pos)
{
    GROW(c, c->outs, c->nouts, c->capouts);
    c->outs[c->nouts].table = t;
    c->outs[c->nouts].rel = r;
    c->outs[c->nouts].pos = pos;
    c->nouts++;
    return 0;
}

static int an_insert(wd_plan_ctx *c, const wd_ast_stmt *s)
{
    wd_table *t = wd_an_find_table(c, s->name);
    if (!t) {
        if (find_view(c, s->name))
            return wd_err_at(c->err, WD_EPLAN, s->name_pos, "cannot INSERT INTO view '%s'", s->name);
        const char **cands = wd_arena_alloc(c->a, sizeof(char *) * (c->ntables + 1));
        size_t nc = 0;
        for (uint32_t i = 0; i < c->ntables; i++) cands[nc++] = c->tables[i]->name;
        const char *sug = wd_suggest(s->name, cands, nc);
        wd_err_at(c->err, WD_ENAME, s->name_pos, "unknown table '%s'%s%s%s", s->name,
                  sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
        return -1;
    }
    if (!t->as_sink)
        return wd_err_at(c->err, WD_EPLAN, s->name_pos,
                         "table '%s' is a source (connector '%s'); it cannot be written to",
                         t->name, t->conn->name);
    if (s->ninsert_cols)
        return wd_err_at(c->err, WD_EUNSUPPORTED, s->name_pos,
                         "INSERT with a column list is not supported yet");
    wd_rel *r = an_query(c, s->query);
    if (!r) return -1;
    if (t->memory) {
        if (r->schema->nfields != t->schema->nfields)
            return wd_err_at(c->err, WD_EPLAN, s->name_pos,
                             "INSERT INTO %s: the query has %u columns but the table has %u",
                             t->name, r->schema->nfields - 1, t->schema->nfields - 1);
        r = wd_an_cast_rel(c, r, t->schema, s->name_pos,
                           wd_arena_printf(c->a, "INSERT INTO %s", t->name));
        if (!r) return -1;
        wd_rel *u = t->mem;
        wd_rel **in = wd_arena_alloc(c->a, sizeof(wd_rel *) * (u->nin + 1));
        if (u->nin) memcpy(in, u->in, sizeof(wd_rel *) * u->nin);
        in[u->nin++] = r;
        u->in = in;
        u->updating |= r->updating;
        return 0;
    }
    return add_output(c, t, r, s->name_pos);
}

int wd_an_statement(wd_plan_ctx *c, const wd_ast_stmt *s)
{
    switch (s->kind) {
    case WD_AS_CREATE_TABLE: return an_create_table(c, s);
    case WD_AS_CREATE_VIEW: return an_create_view(c, s);
    case WD_AS_SET: return an_set(c, s);
    case WD_AS_INSERT: return an_insert(c, s);
    case WD_AS_QUERY: {
        wd_rel *r = an_query(c, s->query);
        if (!r) return -1;
        return add_output(c, NULL, r, s->pos);
    }
    case WD_AS_DROP:
        return wd_err_at(c->err, WD_EUNSUPPORTED, s->pos, "DROP is not supported in a pipeline");
    }
    return wd_err_at(c->err, WD_EINTERNAL, s->pos, "unknown statement");
}

