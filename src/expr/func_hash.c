/*
 * func_hash.c — cryptographic digests: md5, sha224, sha256, sha384, sha512.
 *
 * Each takes TEXT or BYTEA and returns the digest as lower-case hexadecimal
 * TEXT.  (PostgreSQL's md5 returns hex text too; its sha256 and DataFusion's
 * return bytea — wadi returns hex text for all of them, which is what
 * queries compare against and what sinks write; decode(…, 'hex') is the way
 * back.)  Digests go through OpenSSL's EVP interface with one digest context
 * per call site (in *k->state), so rows do not allocate.
 *
 * Exports: wd_funcs_hash, wd_funcs_hash_n.
 */
#include <openssl/evp.h>
#include <string.h>

#include "expr/func.h"

typedef enum { H_MD5, H_SHA224, H_SHA256, H_SHA384, H_SHA512 } hash_kind;

static const EVP_MD *hash_md(hash_kind h)
{
    switch (h) {
    case H_MD5: return EVP_md5();
    case H_SHA224: return EVP_sha224();
    case H_SHA256: return EVP_sha256();
    case H_SHA384: return EVP_sha384();
    default: return EVP_sha512();
    }
}

static const char *hash_name(hash_kind h)
{
    static const char *names[] = {"md5", "sha224", "sha256", "sha384", "sha512"};
    return names[h];
}

static void hash_free_state(void *state)
{
    if (state) EVP_MD_CTX_free(state);
}

static int hash_rows(wd_kctx *k, const wd_col *a, uint32_t n, wd_col *out, hash_kind h)
{
    static const char hex[] = "0123456789abcdef";
    EVP_MD_CTX *ctx = k->state ? *k->state : NULL;
    bool own = false;
    if (!ctx) {
        ctx = EVP_MD_CTX_new();
        if (!ctx)
            return wd_err_at(k->err, WD_ENOMEM, k->pos, "%s: cannot create a digest context",
                             hash_name(h));
        if (k->state) *k->state = ctx;
        else own = true;
    }
    const EVP_MD *md = hash_md(h);
    wd_str *o = WD_COL_VALS(out, wd_str);
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = WD_COL_GET(&a[0], wd_str, i);
        unsigned char dig[EVP_MAX_MD_SIZE];
        unsigned int dl = 0;
        if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
            EVP_DigestUpdate(ctx, s.ptr ? s.ptr : "", s.len) != 1 ||
            EVP_DigestFinal_ex(ctx, dig, &dl) != 1) {
            rc = wd_err_at(k->err, WD_EINTERNAL, k->pos, "%s: digest failed", hash_name(h));
            break;
        }
        char *d = wd_arena_alloc(k->arena, 2 * (size_t)dl);
        for (unsigned j = 0; j < dl; j++) {
            d[2 * j] = hex[dig[j] >> 4];
            d[2 * j + 1] = hex[dig[j] & 15];
        }
        o[i] = wd_str_make(d, 2 * dl);
    }
    if (own) EVP_MD_CTX_free(ctx);
    return rc;
}

static int k_md5(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return hash_rows(k, a, n, out, H_MD5);
}
static int k_sha224(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return hash_rows(k, a, n, out, H_SHA224);
}
static int k_sha256(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return hash_rows(k, a, n, out, H_SHA256);
}
static int k_sha384(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return hash_rows(k, a, n, out, H_SHA384);
}
static int k_sha512(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return hash_rows(k, a, n, out, H_SHA512);
}

#define H(nm, p, fn, doc) \
    {nm, 1, 1, {p}, WD_T_TEXT, NULL, fn, hash_free_state, WD_FN_STRICT, doc}

const wd_func wd_funcs_hash[] = {
    H("md5", WD_T_TEXT, k_md5, "md5(text): MD5 digest as 32 hex digits"),
    H("md5", WD_T_BYTES, k_md5, "md5(bytea): MD5 digest as 32 hex digits"),
    H("sha224", WD_T_TEXT, k_sha224, "sha224(text): SHA-224 digest as hex text"),
    H("sha224", WD_T_BYTES, k_sha224, "sha224(bytea): SHA-224 digest as hex text"),
    H("sha256", WD_T_TEXT, k_sha256, "sha256(text): SHA-256 digest as 64 hex digits"),
    H("sha256", WD_T_BYTES, k_sha256, "sha256(bytea): SHA-256 digest as 64 hex digits"),
    H("sha384", WD_T_TEXT, k_sha384, "sha384(text): SHA-384 digest as hex text"),
    H("sha384", WD_T_BYTES, k_sha384, "sha384(bytea): SHA-384 digest as hex text"),
    H("sha512", WD_T_TEXT, k_sha512, "sha512(text): SHA-512 digest as hex text"),
    H("sha512", WD_T_BYTES, k_sha512, "sha512(bytea): SHA-512 digest as hex text"),
};

const size_t wd_funcs_hash_n = sizeof wd_funcs_hash / sizeof wd_funcs_hash[0];
