/*
 * catalog.c — the function catalog: overload resolution over every table
 * of WD_FUNC_TABLES, and implicit type coercion.
 *
 * Exports wd_func_resolve, wd_func_exists, wd_func_foreach,
 * wd_type_common and wd_type_implicit (func.h).
 *
 * The numeric tower (wd_type_common):
 *   INT16 < INT32 < INT64 < DECIMAL < FLOAT64, FLOAT32 < FLOAT64;
 *   an integer with a float is FLOAT64 (FLOAT32 with FLOAT32 stays);
 *   unsigned with unsigned is the wider; unsigned with signed is the next
 *   wider signed type (UINT16 → INT32, UINT32 → INT64) and UINT64 with a
 *   signed type is DECIMAL(20,0), which holds both exactly;
 *   an integer with DECIMAL is the DECIMAL widened to hold the integer's
 *   digits (INT16: 5, INT32: 10, INT64: 19, UINT64: 20);
 *   DECIMAL(p1,s1) with DECIMAL(p2,s2) is DECIMAL(max int digits + max
 *   scale, max scale), precision capped at 38; DECIMAL with a float is
 *   FLOAT64.
 * Other types: NULL with X is X; DATE with TIMESTAMP is TIMESTAMP; LISTs
 * unify their elements; otherwise only equal types have a common type.
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/suggest.h"
#include "expr/expr_int.h"

typedef struct tab {
    const wd_func *f;
    const size_t *n;
} tab;

static const tab tables[] = {
#define WD_TAB(g) {wd_funcs_##g, &wd_funcs_##g##_n},
    WD_FUNC_TABLES(WD_TAB)
#undef WD_TAB
};
#define NTABLES (sizeof tables / sizeof tables[0])

/* ---- coercion ---------------------------------------------------------- */

/* Digits of an integer type as a DECIMAL. */
static int int_digits(wd_type_id id)
{
    switch (id) {
    case WD_T_INT16:
    case WD_T_UINT16: return 5;
    case WD_T_INT32:
    case WD_T_UINT32: return 10;
    case WD_T_INT64: return 19;
    case WD_T_UINT64: return 20;
    default: return 0;
    }
}

static int int_rank(wd_type_id id)
{
    switch (id) {
    case WD_T_INT16: return 1;
    case WD_T_INT32: return 2;
    case WD_T_INT64: return 3;
    case WD_T_UINT16: return 1;
    case WD_T_UINT32: return 2;
    case WD_T_UINT64: return 3;
    default: return 0;
    }
}

static const wd_type *dec_of(wd_arena *a, int intd, int scale)
{
    if (scale > 38) scale = 38;
    int p = intd + scale;
    if (p > 38) p = 38;
    if (p < 1) p = 1;
    if (!a) return NULL;
    return wd_type_decimal(a, p, scale);
}

/*
 * Common type of two numeric types.  For DECIMAL results without an arena,
 * *pp / *ps receive precision and scale and NULL is returned with *isdec.
 */
static const wd_type *num_common(wd_arena *a, const wd_type *x, const wd_type *y, bool *isdec,
                                 int *pp, int *ps)
{
    wd_type_id p = x->id, q = y->id;
    *isdec = false;
    if (wd_type_is_float(p) || wd_type_is_float(q)) {
        if (p == WD_T_FLOAT32 && q == WD_T_FLOAT32) return WD_TYPE_FLOAT32;
        return WD_TYPE_FLOAT64;
    }
    if (p == WD_T_DECIMAL || q == WD_T_DECIMAL) {
        int i1 = p == WD_T_DECIMAL ? x->precision - x->scale : int_digits(p);
        int i2 = q == WD_T_DECIMAL ? y->precision - y->scale : int_digits(q);
        int s1 = p == WD_T_DECIMAL ? x->scale : 0, s2 = q == WD_T_DECIMAL ? y->scale : 0;
        int s = s1 > s2 ? s1 : s2, id = i1 > i2 ? i1 : i2;
        if (p == WD_T_DECIMAL && q == WD_T_DECIMAL && x->precision == y->precision &&
            x->scale == y->scale)
            return x;
        *isdec = true;
        *ps = s;
        *pp = id + s > 38 ? 38 : id + s;
        return dec_of(a, id, s);
    }
    bool sp = wd_type_is_signed(p), sq = wd_type_is_signed(q);
    int rp = int_rank(p), rq = int_rank(q);
    if (sp == sq) return rp >= rq ? x : y;
    /* mixed signedness: u is the unsigned one */
    int ru = sp ? rq : rp, rs = sp ? rp : rq;
    int need = ru + 1 > rs ? ru + 1 : rs;
    if (need == 2) return WD_TYPE_INT32;
    if (need == 3) return WD_TYPE_INT64;
    *isdec = true;
    *pp = 20;
    *ps = 0;
    return dec_of(a, 20, 0);
}

const wd_type *wd_type_common(wd_arena *a, const wd_type *x, const wd_type *y)
{
    if (!x || !y) return NULL;
    if (x->id == WD_T_NULL) return y;
    if (y->id == WD_T_NULL) return x;
    if (wd_type_eq(x, y)) return x;
    if (wd_type_is_numeric(x->id) && wd_type_is_numeric(y->id)) {
        bool d;
        int p, s;
        return num_common(a, x, y, &d, &p, &s);
    }
    if ((x->id == WD_T_DATE && y->id == WD_T_TIMESTAMP) ||
        (x->id == WD_T_TIMESTAMP && y->id == WD_T_DATE))
        return WD_TYPE_TIMESTAMP;
    if (x->id == WD_T_LIST && y->id == WD_T_LIST) {
        const wd_type *e = wd_type_common(a, x->elem, y->elem);
        if (!e) return NULL;
        if (e == x->elem) return x;
        if (e == y->elem) return y;
        return a ? wd_type_list(a, e) : NULL;
    }
    return NULL;
}

bool wd_type_implicit(const wd_type *from, const wd_type *to)
{
    if (!from || !to) return false;
    if (from->id == WD_T_NULL || wd_type_eq(from, to)) return true;
    if (wd_type_is_numeric(from->id) && wd_type_is_numeric(to->id)) {
        bool d;
        int p, s;
        const wd_type *c = num_common(NULL, from, to, &d, &p, &s);
        if (d) return to->id == WD_T_DECIMAL && to->precision == p && to->scale == s;
        return c && wd_type_eq(c, to);
    }
    if (from->id == WD_T_DATE && to->id == WD_T_TIMESTAMP) return true;
    if (from->id == WD_T_LIST && to->id == WD_T_LIST) return wd_type_implicit(from->elem, to->elem);
    return false;
}

/* ---- resolution -------------------------------------------------------- */

#define MAXARGS 64

static uint16_t param_of(const wd_func *f, uint32_t i)
{
    if (f->nargs < 0) return f->params[0];
    return i < 4 ? f->params[i] : WD_P_ANY;
}

static bool arity_ok(const wd_func *f, uint32_t n)
{
    if (f->nargs < 0) return n >= (uint32_t)(f->min_args < 0 ? 0 : f->min_args);
    return (uint32_t)f->nargs == n;
}

/* The natural DECIMAL an integer becomes when a DECIMAL parameter takes it. */
static const wd_type *dec_for(wd_arena *a, const wd_type *t)
{
    if (t->id == WD_T_DECIMAL) return t;
    return dec_of(a, int_digits(t->id) ? int_digits(t->id) : 19, 0);
}

/*
 * Try f on args: on success fill to[] (coerced argument types), return the
 * number of implicit casts; -1 when f does not accept args.
 */
static int match(const wd_func *f, const wd_type *const *args, uint32_t n, wd_arena *a,
                 const wd_type **to)
{
    if (!arity_ok(f, n) || n > MAXARGS) return -1;
    const wd_type *numc = NULL, *intc = NULL, *same = NULL;
    const wd_type *firstlist = NULL;
    bool has_num = false, has_int = false, has_same = false;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t p = param_of(f, i);
        const wd_type *t = args[i];
        if (p == WD_P_NUMERIC) {
            if (t->id != WD_T_NULL && !wd_type_is_numeric(t->id)) return -1;
            numc = has_num ? wd_type_common(a, numc, t) : t;
            has_num = true;
        } else if (p == WD_P_INTEGER) {
            if (t->id != WD_T_NULL && !wd_type_is_int(t->id)) return -1;
            intc = has_int ? wd_type_common(a, intc, t) : t;
            has_int = true;
            if (intc && intc->id == WD_T_DECIMAL) return -1;
        } else if (p == WD_P_SAME || (i == 0 && f->params[0] == WD_P_SAME)) {
            same = has_same ? wd_type_common(a, same, t) : t;
            has_same = true;
            if (!same) return -1;
        }
        if (t->id == WD_T_LIST && !firstlist) firstlist = t;
    }
    /* SAME unifies with the first argument too */
    if (has_same && f->params[0] != WD_P_SAME && n > 0) {
        same = wd_type_common(a, same, args[0]);
        if (!same) return -1;
    }
    if (has_num && numc && numc->id == WD_T_NULL) numc = WD_TYPE_INT64;
    if (has_int && intc && intc->id == WD_T_NULL) intc = WD_TYPE_INT64;
    int casts = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t p = param_of(f, i);
        const wd_type *t = args[i], *want;
        if (p == WD_P_NUMERIC)
            want = numc;
        else if (p == WD_P_INTEGER)
            want = intc;
        else if (p == WD_P_SAME || (i == 0 && f->params[0] == WD_P_SAME))
            want = same;
        else if (p == WD_P_ANY)
            want = t;
        else if (p == WD_P_STRINGY)
            want = (t->id == WD_T_TEXT || t->id == WD_T_JSON) ? t
                   : t->id == WD_T_NULL                      ? WD_TYPE_TEXT
                                                             : NULL;
        else if (p == WD_P_LIST)
            want = t->id == WD_T_LIST ? t : NULL;
        else if (p == WD_P_ELEM) {
            if (!firstlist) return -1;
            want = firstlist->elem;
            if (!wd_type_implicit(t, want)) {
                /* widen the list's element instead when that works */
                return -1;
            }
        } else if (p == WD_T_DECIMAL) {
            if (t->id == WD_T_DECIMAL)
                want = t;
            else if (wd_type_is_int(t->id) || t->id == WD_T_NULL)
                want = t->id == WD_T_NULL ? dec_of(a, 19, 0) : dec_for(a, t);
            else
                return -1;
        } else if (p == WD_T_LIST) {
            want = t->id == WD_T_LIST ? t : NULL;
        } else if (p == WD_T_STRUCT) {
            want = t->id == WD_T_STRUCT ? t : NULL;
        } else if (p < WD_T__COUNT) {
            const wd_type *c = wd_type_of((wd_type_id)p);
            want = (c && wd_type_implicit(t, c)) ? c : NULL;
        } else {
            return -1;
        }
        if (!want) return -1;
        to[i] = want;
        if (!wd_type_eq(t, want)) casts++;
    }
    return casts;
}

static const wd_type *ret_of(const wd_func *f, const wd_type *const *to, uint32_t n, wd_arena *a,
                             wd_error *err)
{
    if (f->resolve) return f->resolve(a, to, n, err);
    uint16_t r = f->ret;
    switch (r) {
    case WD_P_SAME:
    case WD_P_ANY:
        return n ? to[0] : WD_TYPE_NULL;
    case WD_P_NUMERIC:
    case WD_P_INTEGER:
        for (uint32_t i = 0; i < n; i++) {
            uint16_t p = param_of(f, i);
            if (p == r) return to[i];
        }
        return n ? to[0] : WD_TYPE_INT64;
    case WD_P_STRINGY: return WD_TYPE_TEXT;
    case WD_P_ELEM:
    case WD_P_LIST:
        for (uint32_t i = 0; i < n; i++)
            if (to[i]->id == WD_T_LIST) return r == WD_P_ELEM ? to[i]->elem : to[i];
        return WD_TYPE_NULL;
    case WD_T_DECIMAL:
    case WD_T_STRUCT:
    case WD_T_LIST:
        for (uint32_t i = 0; i < n; i++)
            if (to[i]->id == r) return to[i];
        if (r == WD_T_DECIMAL) return dec_of(a, 28, 10);
        wd_err(err, WD_ETYPE, "%s: cannot infer the result type", f->name);
        return NULL;
    default: return r < WD_T__COUNT ? wd_type_of((wd_type_id)r) : NULL;
    }
}

static const char *param_name(uint16_t p)
{
    switch (p) {
    case WD_P_ANY: return "ANY";
    case WD_P_NUMERIC: return "NUMERIC";
    case WD_P_INTEGER: return "INTEGER";
    case WD_P_STRINGY: return "TEXT";
    case WD_P_LIST: return "ANY[]";
    case WD_P_ELEM: return "ELEMENT";
    case WD_P_SAME: return "SAME";
    case WD_T_DECIMAL: return "DECIMAL";
    case WD_T_LIST: return "ANY[]";
    case WD_T_STRUCT: return "STRUCT";
    default: {
        const wd_type *t = p < WD_T__COUNT ? wd_type_of((wd_type_id)p) : NULL;
        return t ? wd_type_name(t) : "?";
    }
    }
}

void wd_func_signature(const wd_func *f, wd_buf *b)
{
    wd_buf_printf(b, "%s(", f->name);
    if (f->nargs < 0) {
        const char *pn = param_name(f->params[0]);
        for (int i = 0; i < f->min_args; i++) wd_buf_printf(b, "%s%s", i ? ", " : "", pn);
        wd_buf_printf(b, "%s%s, ...", f->min_args > 0 ? ", " : "", pn);
    } else {
        for (int i = 0; i < f->nargs && i < 4; i++)
            wd_buf_printf(b, "%s%s", i ? ", " : "", param_name(f->params[i]));
    }
    wd_buf_putc(b, ')');
}

static void accepted(wd_buf *b, const char *name)
{
    int k = 0;
    for (size_t t = 0; t < NTABLES; t++)
        for (size_t i = 0; i < *tables[t].n; i++) {
            const wd_func *f = &tables[t].f[i];
            if (strcmp(f->name, name)) continue;
            if (k++) wd_buf_puts(b, ", ");
            if (k > 12) {
                wd_buf_puts(b, "...");
                return;
            }
            wd_func_signature(f, b);
        }
}

static int unknown(const char *name, wd_error *err)
{
    size_t total = 0;
    for (size_t t = 0; t < NTABLES; t++) total += *tables[t].n;
    const char **names = wd_malloc((total ? total : 1) * sizeof *names);
    size_t k = 0;
    for (size_t t = 0; t < NTABLES; t++)
        for (size_t i = 0; i < *tables[t].n; i++) {
            const char *nm = tables[t].f[i].name;
            if (k && !strcmp(names[k - 1], nm)) continue;
            names[k++] = nm;
        }
    const char *s = names ? wd_suggest(name, names, k) : NULL;
    int rc;
    if (s)
        rc = wd_err(err, WD_ENAME, "unknown function '%s' (did you mean '%s'?)", name, s);
    else
        rc = wd_err(err, WD_ENAME, "unknown function '%s'", name);
    wd_free(names);
    return rc;
}

int wd_func_resolve(const char *name, const wd_type *const *args, uint32_t nargs, wd_arena *a,
                    const wd_func **fn, const wd_type **ret, const wd_type **cast_to,
                    wd_error *err)
{
    if (!name) return wd_err(err, WD_EINVALID, "function name missing");
    bool named = false, arity = false;
    const wd_type *to[MAXARGS];
    /* candidates in ascending cost order: find each level's first success */
    int best = -1;
    const wd_func *bf = NULL;
    for (size_t t = 0; t < NTABLES; t++)
        for (size_t i = 0; i < *tables[t].n; i++) {
            const wd_func *f = &tables[t].f[i];
            if (strcmp(f->name, name)) continue;
            named = true;
            if (!arity_ok(f, nargs)) continue;
            arity = true;
            int c = match(f, args, nargs, a, to);
            if (c < 0) continue;
            if (best < 0 || c < best) {
                best = c;
                bf = f;
            }
        }
    if (!named) return unknown(name, err);
    wd_buf b = WD_BUF_INIT;
    int rc;
    if (!arity) {
        accepted(&b, name);
        rc = wd_err(err, WD_ETYPE, "wrong number of arguments for %s: %u given; accepted: %s",
                    name, nargs, b.data ? b.data : "");
        wd_buf_free(&b);
        return rc;
    }
    /* Try candidates cost level by cost level so that a resolve() that
     * rejects its arguments lets the next overload have a go. */
    wd_error first = {0};
    bool have_first = false;
    for (int level = best; bf && level <= (int)nargs + 1; level++) {
        for (size_t t = 0; t < NTABLES; t++)
            for (size_t i = 0; i < *tables[t].n; i++) {
                const wd_func *f = &tables[t].f[i];
                if (strcmp(f->name, name) || match(f, args, nargs, a, to) != level) continue;
                wd_error e = {0};
                const wd_type *r = ret_of(f, to, nargs, a, &e);
                if (!r) {
                    if (!have_first) first = e, have_first = true;
                    continue;
                }
                *fn = f;
                *ret = r;
                for (uint32_t k = 0; k < nargs; k++)
                    cast_to[k] = wd_type_eq(args[k], to[k]) ? NULL : to[k];
                return 0;
            }
    }
    if (have_first && first.code) {
        if (err && !err->code) *err = first;
        return first.code;
    }
    wd_buf_printf(&b, "no function %s(", name);
    for (uint32_t k = 0; k < nargs; k++)
        wd_buf_printf(&b, "%s%s", k ? ", " : "", wd_type_name(args[k]));
    wd_buf_puts(&b, "); accepted: ");
    accepted(&b, name);
    rc = wd_err(err, WD_ETYPE, "%s", b.data);
    wd_buf_free(&b);
    return rc;
}

bool wd_func_exists(const char *name)
{
    if (!name) return false;
    for (size_t t = 0; t < NTABLES; t++)
        for (size_t i = 0; i < *tables[t].n; i++)
            if (!strcmp(tables[t].f[i].name, name)) return true;
    return false;
}

void wd_func_foreach(void (*visit)(const wd_func *f, void *arg), void *arg)
{
    for (size_t t = 0; t < NTABLES; t++)
        for (size_t i = 0; i < *tables[t].n; i++) visit(&tables[t].f[i], arg);
}
