/*
 * store.h — where checkpoints live: a local directory or an S3-compatible
 * object store, behind one interface of whole objects named by keys.
 *
 * Keys are '/'-separated paths relative to the store's root
 * ("epoch-00000003/n4-s1-groups.snap").  A key is not empty, does not
 * start or end with '/', has no empty, "." or ".." component, and no
 * component starting with '.' (those names are the local store's
 * temporary files).
 *
 * Local store (a directory path, created with its parents if missing): a
 * put writes a temporary file in the key's directory, fsyncs it, renames
 * it over the key and fsyncs the directory, so an object is either
 * entirely there or not at all, also after a crash.  Temporary files are
 * never listed.
 *
 * S3 store ("s3://bucket/prefix", store_s3.c): keys are objects under
 * prefix.  Configuration comes from the usual environment variables:
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (required), AWS_SESSION_TOKEN,
 * AWS_REGION or AWS_DEFAULT_REGION (default us-east-1), and
 * AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for another S3-compatible server
 * (then addressed path-style: http://host:port/bucket/key; otherwise
 * https://bucket.s3.REGION.amazonaws.com/key).  Requests are signed with
 * SigV4 (unsigned payload: snapshot files carry their own checksums),
 * time out after 3 s connecting and 60 s in all, and are retried 3 times
 * (after 100, 400 and 1,600 ms) on connection errors, 5xx and 429.
 *
 * Every function may be called from several threads at once on the same
 * store.  Errors are WD_EIO (WD_EINVALID for a bad URL or key) with a
 * message naming the store, the key and the cause:
 *   checkpoint store /x/y: cannot write epoch-3/a.snap: No space left on device
 *   checkpoint store s3://b/p: cannot read k: cannot connect to
 *     http://127.0.0.1:9 (Connection refused)
 *   checkpoint store s3://b/p: cannot write k: HTTP 403 AccessDenied (Access Denied)
 *
 * Testing hook: the environment variable WADI_STORE_FAIL_PUT_AFTER=N
 * (read at the first wd_store_open of the process) makes every put after
 * the first N puts of the process fail with "injected write error" — a
 * local put fails halfway through writing its temporary file, which is
 * then removed, so the failure path is the real one.
 * wd_store_fail_put_after() arms the same injector from a test.
 *
 * Exports: wd_store_open, wd_store_close, wd_store_url, wd_store_put,
 * wd_store_get, wd_store_list, wd_store_keys_free, wd_store_delete,
 * wd_store_delete_prefix, wd_store_fail_put_after; and, for store.c only,
 * the S3 backend wd_store_s3_*.
 */
#ifndef WD_STORE_H
#define WD_STORE_H

#include <stddef.h>

#include "common/error.h"

typedef struct wd_store wd_store;

/* Open the store at url: a directory path or s3://bucket[/prefix]. */
int wd_store_open(const char *url, wd_store **out, wd_error *err);
void wd_store_close(wd_store *s);

/* The url the store was opened with (trailing '/' removed), for messages. */
const char *wd_store_url(const wd_store *s);

/* Write the object key (replacing it): atomic and durable, see above.  A
 * failed put leaves no partial object visible. */
int wd_store_put(wd_store *s, const char *key, const void *data, size_t len, wd_error *err);

/*
 * Read the object key: 0 with *data (wd_malloc'd, to wd_free; never NULL,
 * even for an empty object) and *len; 1 with *data NULL and *len 0 when
 * there is no such object; < 0 on error.
 */
int wd_store_get(wd_store *s, const char *key, void **data, size_t *len, wd_error *err);

/*
 * Every key beginning with prefix (which may be empty, and need not end at
 * a '/'), sorted bytewise; *keys and each key are wd_malloc'd: free them
 * with wd_store_keys_free(*keys, *n).
 */
int wd_store_list(wd_store *s, const char *prefix, char ***keys, size_t *n, wd_error *err);
void wd_store_keys_free(char **keys, size_t n);

/* Delete the object key; an absent key is not an error. */
int wd_store_delete(wd_store *s, const char *key, wd_error *err);

/*
 * Delete every object whose key begins with prefix; locally also the
 * directories this empties and the temporary files of unfinished puts
 * under prefix.  Stops at the first error.
 */
int wd_store_delete_prefix(wd_store *s, const char *prefix, wd_error *err);

/*
 * Testing: from now on, the puts after the next n puts of the process fail
 * with "injected write error"; n < 0 turns the injector off.
 */
void wd_store_fail_put_after(long n);

#endif
