/*
 * connector.h — connectors: registered structs with their options, and the
 * runtime interfaces of sources and sinks.
 *
 * A connector declares the options it accepts (name, kind, default,
 * required, doc); the analyzer checks a table's WITH (…) options against
 * them and rejects unknown ones with the list of accepted names.  At run
 * time each subtask of a source or sink opens its own instance.
 */
#ifndef WD_CONNECTOR_H
#define WD_CONNECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "batch/batch.h"
#include "common/buf.h"
#include "common/error.h"

struct wd_snap_out;
struct wd_snap_in;

/* ---- options ----------------------------------------------------------- */

typedef enum wd_opt_kind {
    WD_OPT_STRING,
    WD_OPT_INT,      /* integer, non-negative */
    WD_OPT_FLOAT,
    WD_OPT_BOOL,     /* 'true' / 'false' */
    WD_OPT_DURATION, /* an interval text ("5 seconds", "100ms") or micros when named *_micros */
    WD_OPT_TIME,     /* RFC 3339 timestamp or epoch milliseconds */
    WD_OPT_ENUM,     /* one of `choices` ("a|b|c") */
} wd_opt_kind;

typedef struct wd_opt_def {
    const char *name;
    wd_opt_kind kind;
    const char *def;     /* default value text, or NULL for none */
    bool required;
    const char *choices; /* WD_OPT_ENUM: "source|sink" */
    const char *doc;
} wd_opt_def;

typedef struct wd_opt {
    const char *key;
    const char *val;
    wd_pos pos;          /* of the value in the SQL text */
    wd_pos key_pos;      /* of the key (0:0 when unknown: pos is used) */
} wd_opt;

typedef struct wd_options {
    uint32_t n;
    const wd_opt *kv;
} wd_options;

/* Lookups: return the value text, or the connector's default when absent. */
const char *wd_opt_get(const wd_options *o, const char *key);
/* Typed getters: 0 and *out, or WD_EOPTION with err naming the option and
 * the value ("option 'event_rate': '10x' is not a number").  A missing
 * option leaves *out unchanged and returns 0. */
int wd_opt_int(const wd_options *o, const char *key, int64_t *out, wd_error *err);
int wd_opt_float(const wd_options *o, const char *key, double *out, wd_error *err);
int wd_opt_bool(const wd_options *o, const char *key, bool *out, wd_error *err);
int wd_opt_duration_ns(const wd_options *o, const char *key, int64_t *out, wd_error *err);
int wd_opt_time_ns(const wd_options *o, const char *key, int64_t *out, wd_error *err);

/* ---- sources ----------------------------------------------------------- */

typedef struct wd_source wd_source;

/* What a source subtask is asked to produce. */
typedef struct wd_source_spec {
    const wd_type *schema;     /* the table's physical columns + _timestamp */
    const wd_options *opts;    /* the table's WITH options */
    uint32_t subtask;          /* 0 … parallelism-1 */
    uint32_t parallelism;
    const bool *needed;        /* per schema field: whether the query reads it
                                  (NULL: all); a source may leave unneeded
                                  columns null */
    uint32_t batch_rows;       /* rows per batch to aim for */
    int64_t linger_ns;         /* how long a partial batch may wait */
} wd_source_spec;

enum {
    WD_SRC_BATCH = 1, /* *out holds a batch (caller releases it) */
    WD_SRC_IDLE = 2,  /* nothing now; call again after *wait_ns */
    WD_SRC_END = 3,   /* bounded input is exhausted */
};

typedef struct wd_source_vt {
    /*
     * Produce the next batch, filling _timestamp with each row's event time
     * (or ingestion time when the table defines none).  Returns WD_SRC_*,
     * or a negative WD_E* code with err filled (bad_data = 'fail').
     */
    int (*next)(wd_source *s, wd_batch **out, int64_t *wait_ns, wd_error *err);
    /* A watermark the source knows exactly (e.g. nexmark's generator), or
     * INT64_MIN to let the runtime derive it from the WATERMARK clause. */
    int64_t (*watermark)(wd_source *s);
    /* Rows dropped under bad_data = 'drop'. */
    uint64_t (*dropped)(wd_source *s);
    /*
     * Checkpoints (state/snapshot.h): snapshot writes the position after
     * the last row returned by next() (a WD_SNAP_GLOBAL table); restore,
     * called after open and before next(), resumes from the positions the
     * old subtasks recorded — at another parallelism too, so that every
     * row is produced exactly once over all subtasks.  NULL: the source
     * cannot rewind (a checkpointed job refuses it).
     */
    int (*snapshot)(wd_source *s, struct wd_snap_out *w, wd_error *err);
    int (*restore)(wd_source *s, struct wd_snap_in *r, wd_error *err);
    void (*close)(wd_source *s);
} wd_source_vt;

struct wd_source {
    const wd_source_vt *vt;
};

/* ---- sinks ------------------------------------------------------------- */

typedef struct wd_sink wd_sink;

typedef struct wd_sink_spec {
    const wd_type *schema;  /* the rows it receives (+ _timestamp, not written) */
    const wd_options *opts; /* NULL for the implicit stdout sink of a bare SELECT */
    uint32_t subtask;
    uint32_t parallelism;
    bool updating;          /* rows carry retractions */
    bool two_phase;         /* the job takes checkpoints: write each epoch's
                               rows invisibly until commit (see snapshot) */
} wd_sink_spec;

typedef struct wd_sink_vt {
    int (*write)(wd_sink *s, const wd_batch *b, wd_error *err);
    /* Make written rows durable/visible (end of input, periodic flush).
     * Not called on a checkpointed job's two-phase sinks: commit is. */
    int (*flush)(wd_sink *s, wd_error *err);
    /*
     * Two-phase commit under checkpoints (state/snapshot.h).  snapshot:
     * close the rows written since the last checkpoint into pending,
     * invisible output of epoch w->epoch and record it (WD_SNAP_GLOBAL);
     * commit: make pending output of epochs ≤ epoch visible (idempotent);
     * restore: after open, commit what the restored epoch recorded for this
     * subtask's old index and discard anything written after it.  NULL
     * snapshot: the sink is at-least-once (stdout, blackhole).
     */
    int (*snapshot)(wd_sink *s, struct wd_snap_out *w, wd_error *err);
    int (*commit)(wd_sink *s, uint64_t epoch, wd_error *err);
    int (*restore)(wd_sink *s, struct wd_snap_in *r, wd_error *err);
    void (*close)(wd_sink *s);
} wd_sink_vt;

struct wd_sink {
    const wd_sink_vt *vt;
};

/* ---- connectors -------------------------------------------------------- */

typedef struct wd_connector {
    const char *name;
    const char *doc;
    const wd_opt_def *opts;
    uint32_t nopts;
    bool source, sink;
    bool bounded;            /* its source ends by itself (file) */
    /*
     * The fixed schema of a source whose columns the connector defines
     * (nexmark, impulse), as fields without _timestamp; NULL when the
     * table declares its columns.
     */
    const wd_type *(*fixed_schema)(wd_arena *a);
    /* Extra validation of options at plan time (e.g. type = 'source' needs path). */
    int (*validate)(const wd_options *o, bool as_source, wd_error *err);
    int (*open_source)(const wd_source_spec *spec, wd_source **out, wd_error *err);
    int (*open_sink)(const wd_sink_spec *spec, wd_sink **out, wd_error *err);
} wd_connector;

/* The connector called name, or NULL. */
const wd_connector *wd_connector_find(const char *name);
/* Names of all connectors, comma separated (for error hints). */
const char *wd_connector_names(void);
/* Every registered connector; *n gets the count. */
const wd_connector *const *wd_connectors(size_t *n);
/* The options every table accepts, whatever its connector. */
const wd_opt_def *wd_options_common(size_t *n);

/*
 * Check options against the connector's definitions: unknown keys
 * (WD_EOPTION "unknown option 'rate' for connector 'nexmark'" with hint
 * "accepted options: event_rate, runtime, …"), missing required ones,
 * values of the wrong kind, enum values not among the choices.  Options
 * every table accepts (connector, type, format, bad_data, event_time_field,
 * watermark_field, idle_micros, json.*) are checked here too.
 */
int wd_options_check(const wd_connector *c, const wd_options *o, wd_error *err);

/* Registered connectors. */
extern const wd_connector wd_conn_nexmark, wd_conn_impulse, wd_conn_single_file,
    wd_conn_filesystem, wd_conn_stdout, wd_conn_blackhole;

#endif
