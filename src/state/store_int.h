/*
 * store_int.h — what store.c and store_s3.c share: the S3 backend behind
 * wd_store for s3:// URLs.  Not an interface for other modules.
 */
#ifndef WD_STORE_INT_H
#define WD_STORE_INT_H

#include "state/store.h"

typedef struct wd_store_s3 wd_store_s3;

/* Open a client for bucket and prefix ("" or ending in '/') from the
 * environment; url (borrowed, must outlive the client) names the store in
 * messages. */
int wd_store_s3_open(const char *url, const char *bucket, const char *prefix, wd_store_s3 **out,
                     wd_error *err);
void wd_store_s3_close(wd_store_s3 *c);
/* As wd_store_put, _get, _list and _delete, for validated keys. */
int wd_store_s3_put(wd_store_s3 *c, const char *key, const void *data, size_t len,
                    wd_error *err);
int wd_store_s3_get(wd_store_s3 *c, const char *key, void **data, size_t *len, wd_error *err);
int wd_store_s3_list(wd_store_s3 *c, const char *prefix, char ***keys, size_t *n,
                     wd_error *err);
int wd_store_s3_delete(wd_store_s3 *c, const char *key, wd_error *err);

#endif
