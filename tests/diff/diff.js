#!/usr/bin/env node
// Differential test: wadi's windowed and updating aggregates, its joins and
// its updating top-N against DuckDB.
//
//   node diff.js WADI_BINARY [options]
//
// For each case: generate the input (gen.js), write the case's SQL, run
// `WADI run case.sql`, read what its sink wrote, compute the same result in
// DuckDB from the same JSON lines, and compare the two as multisets of rows
// (timestamps normalised, floats with a relative tolerance of 1e-9).
// Prints a readable diff of the first mismatches; exits 1 on any mismatch.
//
// Options:
//   --cases a,b        run only these cases (names or letters; default: all)
//   --rows N           rows of the dense input (default 100000; the sparse,
//                      updating and join inputs are scaled from it: each
//                      join side has N/2 rows)
//   --seed S           generator seed (default 42)
//   -p, --parallelism L  comma-separated list, e.g. 1,2: run wadi once per
//                      value with `-p VALUE` (default: once, without -p)
//   --keep DIR         work in DIR (created) and keep the files
//   --print-sql        print each case's wadi SQL and exit
//   --fake-wadi[=broken]  do not run wadi: write DuckDB's result in wadi's
//                      sink format instead (shuffled, split over two files,
//                      floats perturbed by 1e-13; updating results as a
//                      Debezium change stream) to test the harness itself;
//                      `broken` also corrupts a few rows, so every case must
//                      FAIL with a readable diff.
//   --max-diff N       mismatches to print per case (default 10)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const gen = require('./gen.js');

const REL_TOL = 1e-9;
const ABS_TOL = 1e-12;
const US = 1000000; // microseconds per second (DuckDB's TIMESTAMP unit)

// ---------------------------------------------------------------------------
// Cases.  `sql` is the query wadi runs over the source tables of its
// `inputs` (INPUTS below: `t` for dense, sparse and updating, `l` and `r` for
// join_l and join_r); `duck` is the DuckDB query over tables named like the
// inputs.  `cols` are the output columns in order with their kind; `key` the
// columns that identify a row (used to pair rows in the diff).  `debezium`
// cases write a changelog that is replayed to the final table.

const floorTo = (expr, w) => `(${expr} - (((${expr}) % ${w}) + ${w}) % ${w})`;

function tumbleDuck(input, widthUs, keyCols, aggs) {
    const keys = keyCols.map((c) => c + ', ').join('');
    return `SELECT ${keys}make_timestamp(w) AS ws, make_timestamp(w + ${widthUs}) AS we, ${aggs}
FROM (SELECT *, ${floorTo('epoch_us(ts)', widthUs)} AS w FROM ${input})
GROUP BY ${keys}w`;
}

function hopDuck(input, slideUs, widthUs, keyCols, aggs) {
    const keys = keyCols.map((c) => c + ', ').join('');
    const n = Math.ceil(widthUs / slideUs);
    // every window [s, s + width) with s a multiple of slide and s <= t < s + width
    return `SELECT ${keys}make_timestamp(w) AS ws, make_timestamp(w + ${widthUs}) AS we, ${aggs}
FROM (SELECT x.*, x.f - j.range * ${slideUs} AS w
      FROM (SELECT *, epoch_us(ts) AS t_us, ${floorTo('epoch_us(ts)', slideUs)} AS f FROM ${input}) x,
           range(0, ${n}) j)
WHERE w + ${widthUs} > t_us
GROUP BY ${keys}w`;
}

function sessionDuck(input, gapUs, keyCol, aggs) {
    // gaps and islands: a row starts a new session when it is `gap` or more
    // after the previous row of its key (a row exactly `gap` after it starts
    // a new one: sessions are [first, last + gap) half-open).  The running
    // sum uses the default RANGE frame so rows with equal ts get the same id.
    return `WITH o AS (
  SELECT *, epoch_us(ts) AS t_us, lag(epoch_us(ts)) OVER (PARTITION BY ${keyCol} ORDER BY epoch_us(ts)) AS prev_us
  FROM ${input}),
s AS (
  SELECT *, sum(CASE WHEN prev_us IS NULL OR t_us - prev_us >= ${gapUs} THEN 1 ELSE 0 END)
            OVER (PARTITION BY ${keyCol} ORDER BY t_us) AS sid
  FROM o)
SELECT ${keyCol}, make_timestamp(min(t_us)) AS ws, make_timestamp(max(t_us) + ${gapUs}) AS we, ${aggs}
FROM s GROUP BY ${keyCol}, sid`;
}

// An updating join of the two join inputs, written as a Debezium changelog
// (outer joins retract their NULL-padded rows when a match arrives); `where`
// filters the joined rows (wadi moves what it can below the join).
function updatingJoin(letter, name, join, residual = '', where = '') {
    return {
        name, letter, inputs: ['join_l', 'join_r'], debezium: true,
        sql: `SELECT l.k AS lk, l.a AS a, r.k AS rk, r.c AS c
FROM l ${join} r ON l.k = r.k${residual}${where}`,
        duck: `SELECT l.k AS lk, l.a AS a, r.k AS rk, r.c AS c
FROM join_l l ${join} join_r r ON l.k = r.k${residual}${where}`,
        cols: { lk: 'int', a: 'int', rk: 'int', c: 'int' },
        key: ['lk', 'rk'],
    };
}

// An interval join of the two join inputs, written as JSON (append-only:
// outer joins emit a row without a match once, with NULLs, when the
// watermark passes the end of its interval).  `left(table)` is the left
// input over a table (a subquery adds an upper bound column).
function intervalJoin(letter, name, join, bounds, left = (t) => t) {
    const as = (x, alias) => (x === alias ? x : `${x} ${alias}`);
    const q = (l, r) => `SELECT l.k AS lk, l.a AS a, l.b AS b, l.ts AS lts, r.k AS rk, r.c AS c, r.d AS d, r.ts AS rts
FROM ${as(left(l), 'l')} ${join} ${as(r, 'r')} ON l.k = r.k AND ${bounds}`;
    return {
        name, letter, inputs: ['join_l', 'join_r'],
        sql: q('l', 'r'),
        duck: q('join_l', 'join_r'),
        cols: { lk: 'int', a: 'int', b: 'text', lts: 'ts', rk: 'int', c: 'int', d: 'text', rts: 'ts' },
        key: ['lk', 'rk', 'b', 'd'],
    };
}
const TWO_SECONDS = "r.ts BETWEEN l.ts AND l.ts + INTERVAL '2' SECOND";
// an upper bound by a column: 3 s after the row, or the row's own time when a < 0
const withExpiry = (t) => `(SELECT k, a, b, ts, CASE WHEN a < 0 THEN ts ELSE ts + INTERVAL '3' SECOND END AS e FROM ${t})`;

// The window is a struct column: the inner query groups by it (Arroyo's
// `tumble(…) AS window … GROUP BY window`), the outer one flattens it.
function windowed(key, windowFn, aggCols, aggs) {
    const k = key ? key + ', ' : '';
    return `SELECT ${k}window.start AS ws, window.end AS we, ${aggCols.join(', ')}
FROM (SELECT ${k}${windowFn} AS window,
             ${aggs}
      FROM t
      GROUP BY ${k}window)`;
}

const CASES = [
    {
        name: 'tumble_by_k', letter: 'a', input: 'dense',
        sql: windowed('k', "tumble(interval '10 seconds')", ['c', 'cv', 's', 'mn', 'mx', 'a'],
            'count(*) AS c, count(v) AS cv, sum(v) AS s, min(v) AS mn, max(v) AS mx, avg(v) AS a'),
        duck: tumbleDuck('dense', 10 * US, ['k'],
            'count(*) AS c, count(v) AS cv, sum(v)::BIGINT AS s, min(v) AS mn, max(v) AS mx, avg(v) AS a'),
        cols: { k: 'text', ws: 'ts', we: 'ts', c: 'int', cv: 'int', s: 'int', mn: 'int', mx: 'int', a: 'float' },
        key: ['k', 'ws', 'we'],
    },
    {
        name: 'hop_by_k2', letter: 'b', input: 'dense',
        sql: windowed('k2', "hop(interval '2 seconds', interval '10 seconds')", ['c', 's'],
            'count(*) AS c, sum(v) AS s'),
        duck: hopDuck('dense', 2 * US, 10 * US, ['k2'], 'count(*) AS c, sum(v)::BIGINT AS s'),
        cols: { k2: 'int', ws: 'ts', we: 'ts', c: 'int', s: 'int' },
        key: ['k2', 'ws', 'we'],
    },
    {
        name: 'session_by_k', letter: 'c', input: 'sparse',
        sql: windowed('k', "session(interval '3 seconds')", ['c', 's', 'mx'],
            'count(*) AS c, sum(v) AS s, max(v) AS mx'),
        duck: sessionDuck('sparse', 3 * US, 'k', 'count(*) AS c, sum(v)::BIGINT AS s, max(v) AS mx'),
        cols: { k: 'text', ws: 'ts', we: 'ts', c: 'int', s: 'int', mx: 'int' },
        key: ['k', 'ws'],
    },
    {
        name: 'tumble_global', letter: 'd', input: 'dense',
        sql: windowed(null, "tumble(interval '10 seconds')", ['c', 'sd', 'vp', 'anypos', 'anybig', 'dk2'],
            'count(*) AS c, stddev_samp(d) AS sd, var_pop(d) AS vp, bool_or(v > 0) AS anypos, ' +
            'bool_or(v > 999000) AS anybig, count(DISTINCT k2) AS dk2'),
        duck: tumbleDuck('dense', 10 * US, [],
            'count(*) AS c, stddev_samp(d) AS sd, var_pop(d) AS vp, bool_or(v > 0) AS anypos, ' +
            'bool_or(v > 999000) AS anybig, count(DISTINCT k2) AS dk2'),
        cols: { ws: 'ts', we: 'ts', c: 'int', sd: 'float', vp: 'float', anypos: 'bool', anybig: 'bool', dk2: 'int' },
        key: ['ws', 'we'],
    },
    {
        name: 'updating_by_k', letter: 'e', input: 'updating', debezium: true,
        sql: `SELECT k, count(*) AS c, sum(v) AS s
FROM t
GROUP BY k`,
        duck: `SELECT k, count(*) AS c, sum(v)::BIGINT AS s FROM updating GROUP BY k`,
        cols: { k: 'text', c: 'int', s: 'int' },
        key: ['k'],
    },
    updatingJoin('f', 'inner_join', 'JOIN'),
    updatingJoin('g', 'left_join', 'LEFT JOIN'),
    updatingJoin('h', 'right_join', 'RIGHT JOIN'),
    updatingJoin('i', 'full_join', 'FULL OUTER JOIN'),
    intervalJoin('j', 'interval_join', 'JOIN', TWO_SECONDS),
    {
        name: 'windowed_join', letter: 'k', inputs: ['join_l', 'join_r'],
        sql: `SELECT x.k AS k, x.window.start AS ws, x.window.end AS we, x.n AS ln, x.s AS ls, y.n AS rn, y.s AS rs
FROM (SELECT k, tumble(interval '10 seconds') AS window, count(*) AS n, sum(a) AS s FROM l GROUP BY k, window) x
JOIN (SELECT k, tumble(interval '10 seconds') AS window, count(*) AS n, sum(c) AS s FROM r GROUP BY k, window) y
ON x.k = y.k AND x.window = y.window`,
        duck: `SELECT x.k AS k, x.ws, x.we, x.n AS ln, x.s AS ls, y.n AS rn, y.s AS rs
FROM (${tumbleDuck('join_l', 10 * US, ['k'], 'count(*) AS n, sum(a)::BIGINT AS s')}) x
JOIN (${tumbleDuck('join_r', 10 * US, ['k'], 'count(*) AS n, sum(c)::BIGINT AS s')}) y
ON x.k = y.k AND x.ws = y.ws`,
        cols: { k: 'int', ws: 'ts', we: 'ts', ln: 'int', ls: 'int', rn: 'int', rs: 'int' },
        key: ['k', 'ws'],
    },
    updatingJoin('l', 'full_join_residual', 'FULL OUTER JOIN', ' AND l.a < r.c'),
    intervalJoin('m', 'left_interval_join', 'LEFT JOIN', TWO_SECONDS),
    intervalJoin('n', 'right_interval_join', 'RIGHT JOIN', TWO_SECONDS),
    intervalJoin('o', 'full_interval_join', 'FULL OUTER JOIN', TWO_SECONDS),
    intervalJoin('p', 'full_interval_join_expiry', 'FULL OUTER JOIN', 'r.ts BETWEEN l.ts AND l.e', withExpiry),
    // Updating top-N (ROW_NUMBER over the plain stream): DuckDB breaks ties
    // as wadi does, by every input column ascending (NULLs last).
    {
        name: 'updating_topn', letter: 'q', input: 'dense', debezium: true,
        sql: `SELECT k2, k, v, d, ts, rn FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY k2 ORDER BY k DESC, v) AS rn FROM t)
WHERE rn <= 3`,
        duck: `SELECT k2, k, v, d, ts, row_number() OVER (PARTITION BY k2 ORDER BY k DESC NULLS FIRST,
    v ASC NULLS LAST, k, k2, v, d, ts) AS rn
FROM dense QUALIFY rn <= 3`,
        cols: { k2: 'int', k: 'text', v: 'int', d: 'float', ts: 'ts', rn: 'int' },
        key: ['k2', 'rn'],
    },
    {
        name: 'updating_top1_hidden', letter: 'r', inputs: ['join_l'], debezium: true,
        sql: `SELECT k, b, ts, a AS best FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY a DESC NULLS LAST) AS rn FROM l)
WHERE rn = 1`,
        duck: `SELECT k, b, ts, a AS best FROM join_l
QUALIFY row_number() OVER (PARTITION BY k ORDER BY a DESC NULLS LAST, k, a, b, ts) = 1`,
        cols: { k: 'int', b: 'text', ts: 'ts', best: 'int' },
        key: ['k'],
    },
    updatingJoin('s', 'inner_join_where', 'JOIN', '', '\nWHERE l.a > 0 AND r.c < 50 AND l.a > r.c'),
    updatingJoin('t', 'left_join_where', 'LEFT JOIN', '', '\nWHERE l.a > 0 AND (r.c IS NULL OR r.c < 50)'),
];

// The generated inputs: gen.js options from --rows, the table wadi reads
// (with its columns and watermark delay) and the columns DuckDB reads.
const T_TABLE = {
    table: 't', wadi: 'k TEXT, k2 BIGINT, v BIGINT, d DOUBLE, ts TIMESTAMP', watermark: 5,
    duck: "{k: 'VARCHAR', k2: 'BIGINT', v: 'BIGINT', d: 'DOUBLE', ts: 'TIMESTAMP'}",
};
const INPUTS = {
    dense: { ...T_TABLE, gen: (rows) => ({ mode: 'dense', rows }) },
    sparse: { ...T_TABLE, gen: (rows) => ({ mode: 'sparse', rows: Math.max(50, Math.round(rows * 0.3)) }) },
    updating: { ...T_TABLE, gen: (rows) => ({ mode: 'updating', rows: Math.max(50, Math.round(rows * 0.2)) }) },
    // in ts order: a 1 s watermark delay never makes a row late
    join_l: {
        table: 'l', wadi: 'k BIGINT, a BIGINT, b TEXT, ts TIMESTAMP', watermark: 1,
        duck: "{k: 'BIGINT', a: 'BIGINT', b: 'VARCHAR', ts: 'TIMESTAMP'}",
        gen: (rows) => ({ mode: 'join_l', rows: Math.max(50, Math.round(rows * 0.5)) }),
    },
    join_r: {
        table: 'r', wadi: 'k BIGINT, c BIGINT, d TEXT, ts TIMESTAMP', watermark: 1,
        duck: "{k: 'BIGINT', c: 'BIGINT', d: 'VARCHAR', ts: 'TIMESTAMP'}",
        gen: (rows) => ({ mode: 'join_r', rows: Math.max(50, Math.round(rows * 0.5)) }),
    },
};
const caseInputs = (c) => c.inputs || [c.input];

function sourceDdl(name) {
    const i = INPUTS[name];
    const head = `CREATE TABLE ${i.table} (`;
    return `${head}${i.wadi},
${' '.repeat(head.length)}WATERMARK FOR ts AS ts - INTERVAL '${i.watermark}' SECOND)
WITH (connector = 'single_file', path = '${name}.jsonl', format = 'json', type = 'source');`;
}

function caseSql(c) {
    const sink = `${c.name}.out.jsonl`;
    const fmt = c.debezium ? 'debezium_json' : 'json';
    return `-- differential test case ${c.name}: compared with DuckDB by tests/diff/diff.js
${caseInputs(c).map(sourceDdl).join('\n')}
CREATE TABLE out WITH (connector = 'single_file', path = '${sink}', format = '${fmt}', type = 'sink');
INSERT INTO out
${c.sql};
`;
}

// ---------------------------------------------------------------------------
// Values: parsing wadi's JSON losslessly and normalising both sides.

const BIG = '\u0000int:';
// Integers of 16+ digits would lose precision in JSON.parse: a line holding
// an integer that did is parsed again with its integers of 16+ digits (not
// those in strings) turned into marked strings.
const BIG_INT_RE = /(?<![\w.+-])-?\d{16,}(?![\d.eE])/g;
// JSON text of a value that may hold BigInts or marked big integers.
function jsonWithBigInts(obj) {
    return JSON.stringify(obj, (k, v) => (typeof v === 'bigint' ? `@@${v}@@`
        : typeof v === 'string' && v.startsWith(BIG) ? `@@${v.slice(BIG.length)}@@` : v))
        .replace(/"@@(-?\d+)@@"/g, '$1');
}
function hasUnsafeInt(x) {
    if (typeof x === 'number') return Number.isInteger(x) && !Number.isSafeInteger(x);
    if (x !== null && typeof x === 'object') for (const k in x) if (hasUnsafeInt(x[k])) return true;
    return false;
}
function parseLine(line) {
    const obj = JSON.parse(line);
    if (!/\d{16}/.test(line) || !hasUnsafeInt(obj)) return obj;
    let text = '', from = 0, pos = 0, inString = false;
    BIG_INT_RE.lastIndex = 0;
    for (let m; (m = BIG_INT_RE.exec(line)) !== null;) {
        // inside a string?  count the unescaped quotes before the match
        for (; pos < m.index; pos++) {
            const ch = line.charCodeAt(pos);
            if (ch === 0x5c) pos++; // backslash: skip the escaped character
            else if (ch === 0x22) inString = !inString;
        }
        if (inString) continue;
        text += `${line.slice(from, m.index)}"\\u0000int:${m[0]}"`;
        from = m.index + m[0].length;
    }
    return JSON.parse(text + line.slice(from));
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;
function parseTsNs(s) {
    const m = TS_RE.exec(s);
    if (!m) return null;
    let ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    if (m[8] && m[8] !== 'Z') {
        const sign = m[8][0] === '-' ? -1 : 1;
        const z = m[8].slice(1).replace(':', '');
        ms -= sign * (+z.slice(0, 2) * 60 + +z.slice(2)) * 60000;
    }
    return BigInt(ms) * 1000000n + BigInt((m[7] || '').padEnd(9, '0') || '0');
}
function fmtTsNs(ns) {
    let sec = ns / 1000000000n;
    let frac = ns % 1000000000n;
    if (frac < 0n) { frac += 1000000000n; sec -= 1n; }
    let s = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
    if (frac !== 0n) {
        let f = frac.toString().padStart(9, '0');
        while (f.endsWith('000')) f = f.slice(0, -3);
        s += '.' + f;
    }
    return s;
}

const bad = (v) => ({ bad: jsonWithBigInts(v) });
const isBad = (x) => x !== null && typeof x === 'object' && 'bad' in x;

const tsCache = new Map();
// -> string for text/int/ts, number for float, boolean for bool, null, or
//    {bad: raw} for a value of the wrong type.
function normalise(kind, v) {
    if (v === null || v === undefined) return v === null ? null : { bad: '<missing>' };
    switch (kind) {
    case 'text':
        return typeof v === 'string' && !v.startsWith(BIG) ? v : bad(v);
    case 'int':
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
        if (typeof v === 'string' && v.startsWith(BIG)) return v.slice(BIG.length);
        return bad(v);
    case 'float':
        if (typeof v === 'number') return v;
        if (typeof v === 'bigint') return Number(v);
        if (typeof v === 'string' && v.startsWith(BIG)) return Number(v.slice(BIG.length));
        return bad(v);
    case 'bool':
        return typeof v === 'boolean' ? v : bad(v);
    case 'ts': {
        // window bounds repeat a lot: cache the conversions
        if (typeof v === 'object' && typeof v.micros === 'bigint') {
            let s = tsCache.get(v.micros);
            if (s === undefined) tsCache.set(v.micros, (s = fmtTsNs(v.micros * 1000n)));
            return s;
        }
        if (typeof v === 'string') {
            let s = tsCache.get(v);
            if (s === undefined) {
                const ns = parseTsNs(v);
                if (ns === null) return bad(v);
                tsCache.set(v, (s = fmtTsNs(ns)));
            }
            return s;
        }
        return bad(v);
    }
    default: throw new Error('unknown kind ' + kind);
    }
}

function floatEq(a, b) {
    if (a === b) return true;
    if (Number.isNaN(a) && Number.isNaN(b)) return true;
    const diff = Math.abs(a - b);
    return diff <= ABS_TOL || diff <= REL_TOL * Math.max(Math.abs(a), Math.abs(b));
}
function valueEq(kind, a, b) {
    if (a === null || b === null) return a === b;
    if (isBad(a) || isBad(b)) return false;
    return kind === 'float' ? floatEq(a, b) : a === b;
}

// A case's column names and kinds, computed once.
const colsCache = new WeakMap();
function colsOf(c) {
    let e = colsCache.get(c);
    if (e === undefined) colsCache.set(c, (e = { names: Object.keys(c.cols), kinds: Object.values(c.cols) }));
    return e;
}
// A row object (from either side) -> array of normalised values in column order.
function normRow(c, obj) {
    const { names, kinds } = colsOf(c);
    const r = new Array(names.length);
    for (let i = 0; i < names.length; i++) r[i] = normalise(kinds[i], obj[names[i]]);
    return r;
}
// A normalised row -> a string equal for rows equal in every column (floats
// bit for bit).  Built by join, not +=: a flat string is much faster as a
// Map key than a concatenation.
const keyPart = (x) => (x === null ? '\u0003' : isBad(x) ? '\u0002' + x.bad : String(x));
function rowKey(r) {
    return r.map(keyPart).join('\u0001');
}
function showValue(kind, x) {
    if (x === null) return 'null';
    if (isBad(x)) return `<bad ${kind}: ${x.bad}>`;
    if (kind === 'float') return String(x);
    if (kind === 'text' || kind === 'ts') return JSON.stringify(x);
    return String(x);
}
function showRow(c, row, other) {
    const kinds = Object.values(c.cols);
    return '{' + Object.keys(c.cols).map((n, i) => {
        const s = `${n}: ${showValue(kinds[i], row[i])}`;
        return other && !valueEq(kinds[i], row[i], other[i]) ? `*${s}*` : s;
    }).join(', ') + '}';
}

// ---------------------------------------------------------------------------
// Multiset comparison.  Rows are bucketed by their key columns; within a
// bucket equal rows (floats within tolerance) cancel, and what is left is
// reported as differing pairs, rows only wadi produced, rows only DuckDB did.

// A multiset of normalised rows: rowKey -> {row, n}.
function bagAdd(bag, r) {
    const k = rowKey(r);
    const e = bag.get(k);
    if (e === undefined) bag.set(k, { row: r, n: 1 }); else e.n++;
}
function bagOf(rows) {
    const bag = new Map();
    for (const r of rows) bagAdd(bag, r);
    return bag;
}
function bagSize(bag) {
    let n = 0;
    for (const e of bag.values()) n += e.n;
    return n;
}

function compare(c, wadiRows, duckRows) {
    return compareBags(c, bagOf(wadiRows), bagOf(duckRows));
}

// Rows equal in every column (floats bit for bit) cancel by their rowKey;
// the rest goes through the tolerant comparison.  Leaves both bags as they
// are (DuckDB's is reused for every parallelism).
function compareBags(c, wadiBag, duckBag) {
    const left = (bag, other) => {
        const rows = [];
        for (const [k, e] of bag) {
            const o = other.get(k);
            for (let n = e.n - (o === undefined ? 0 : o.n); n > 0; n--) rows.push(e.row);
        }
        return rows;
    };
    return compareTolerant(c, left(wadiBag, duckBag), left(duckBag, wadiBag));
}

function compareTolerant(c, wadiRows, duckRows) {
    const names = Object.keys(c.cols);
    const kinds = Object.values(c.cols);
    const keyIdx = c.key.map((k) => names.indexOf(k));
    const keyOf = (r) => keyIdx.map((i) => (isBad(r[i]) ? '\u0002' + r[i].bad : r[i] === null ? '\u0003' : String(r[i]))).join('\u0001');
    const rowEq = (a, b) => kinds.every((k, i) => valueEq(k, a[i], b[i]));
    // sort both sides by key, then walk them together (a Map of buckets is
    // much slower for hundreds of thousands of rows)
    const sorted = (rows) => {
        const keys = rows.map(keyOf);
        const idx = Array.from(rows.keys()).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
        return { keys, idx };
    };
    const W = sorted(wadiRows), D = sorted(duckRows);
    const differ = [], onlyWadi = [], onlyDuck = [];
    let i = 0, j = 0;
    while (i < W.idx.length || j < D.idx.length) {
        const kw = i < W.idx.length ? W.keys[W.idx[i]] : null;
        const kd = j < D.idx.length ? D.keys[D.idx[j]] : null;
        if (kd === null || (kw !== null && kw < kd)) { onlyWadi.push(wadiRows[W.idx[i++]]); continue; }
        if (kw === null || kd < kw) { onlyDuck.push(duckRows[D.idx[j++]]); continue; }
        const left = [], unmatched = [];
        while (i < W.idx.length && W.keys[W.idx[i]] === kw) left.push(wadiRows[W.idx[i++]]);
        while (j < D.idx.length && D.keys[D.idx[j]] === kd) {
            const d = duckRows[D.idx[j++]];
            const m = left.findIndex((w) => rowEq(w, d));
            if (m >= 0) left.splice(m, 1); else unmatched.push(d);
        }
        while (left.length && unmatched.length) differ.push([left.shift(), unmatched.shift()]);
        onlyWadi.push(...left);
        onlyDuck.push(...unmatched);
    }
    return { differ, onlyWadi, onlyDuck, ok: !differ.length && !onlyWadi.length && !onlyDuck.length };
}

function report(c, res, max) {
    const out = [];
    const sortKey = (r) => JSON.stringify(r);
    const head = (list, f) => {
        list.slice().sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)).slice(0, max).forEach((x) => out.push(f(x)));
        if (list.length > max) out.push(`    … and ${list.length - max} more`);
    };
    if (res.differ.length) {
        out.push(`  ${res.differ.length} row(s) differ (same ${c.key.join(', ')}; *marked* values differ):`);
        res.differ.sort((a, b) => (sortKey(a[1]) < sortKey(b[1]) ? -1 : 1));
        res.differ.slice(0, max).forEach(([w, d]) => {
            out.push(`    wadi:   ${showRow(c, w, d)}`);
            out.push(`    duckdb: ${showRow(c, d, w)}`);
        });
        if (res.differ.length > max) out.push(`    … and ${res.differ.length - max} more`);
    }
    if (res.onlyDuck.length) {
        out.push(`  ${res.onlyDuck.length} row(s) missing from wadi's output (DuckDB has them):`);
        head(res.onlyDuck, (r) => `    - ${showRow(c, r)}`);
    }
    if (res.onlyWadi.length) {
        out.push(`  ${res.onlyWadi.length} row(s) only in wadi's output (unexpected or duplicated):`);
        head(res.onlyWadi, (r) => `    + ${showRow(c, r)}`);
    }
    return out.join('\n');
}

// ---------------------------------------------------------------------------
// wadi's output.

function sinkFiles(dir, base) {
    // subtask 0 writes PATH, subtask n writes PATH-n
    return fs.readdirSync(dir)
        .filter((f) => f === base || (f.startsWith(base + '-') && /^\d+$/.test(f.slice(base.length + 1))))
        .sort()
        .map((f) => path.join(dir, f));
}

// Parse the JSON lines of files, calling onObj with each value.
function readJsonLines(files, problems, onObj) {
    for (const f of files) {
        const lines = fs.readFileSync(f, 'utf8').split('\n');
        for (let i = 0; i < lines.length; i++) {
            const line = lines[i];
            if (!line.trim()) continue;
            let obj;
            try { obj = parseLine(line); } catch (e) {
                problems.push(`${path.basename(f)}:${i + 1}: not JSON: ${line.slice(0, 200)}`);
                continue;
            }
            onObj(obj);
        }
    }
}

// -> a function checking that a row object has the case's columns in order
// (each different wrong set of columns is reported once).
function columnChecker(c, problems) {
    const want = Object.keys(c.cols).join(',');
    const seen = new Set();
    return (o) => {
        if (o === null || typeof o !== 'object' || Array.isArray(o)) {
            problems.push(`not a JSON object: ${jsonWithBigInts(o)}`); return;
        }
        let got = '';
        for (const k in o) got += (got ? ',' : '') + k;
        if (got !== want && !seen.has(got)) {
            seen.add(got);
            problems.push(`columns are [${got}], expected [${want}]`);
        }
    };
}

// Debezium JSON -> the final table: apply the changes in order.  Returns
// {apply(change), bag}: bag is the table as a multiset (see bagAdd).
function debeziumReplayer(c, problems) {
    const table = new Map();
    const check = columnChecker(c, problems);
    const remove = (obj, i) => {
        const k = rowKey(normRow(c, obj));
        const e = table.get(k);
        if (!e) { problems.push(`change ${i + 1} retracts a row that is not in the table: ${jsonWithBigInts(obj)}`); return; }
        if (--e.n === 0) table.delete(k);
    };
    const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
    let i = -1;
    const apply = (ch) => {
        i++;
        if (ch === null || typeof ch !== 'object' || !('op' in ch)) {
            problems.push(`change ${i + 1} is not a Debezium record: ${jsonWithBigInts(ch)}`); return;
        }
        switch (ch.op) {
        case 'c': case 'r':
            if (!isObj(ch.after)) { problems.push(`change ${i + 1} (op ${ch.op}) has no "after"`); return; }
            check(ch.after); bagAdd(table, normRow(c, ch.after)); break;
        case 'u':
            if (!isObj(ch.before) || !isObj(ch.after)) { problems.push(`change ${i + 1} (op u) needs "before" and "after"`); return; }
            check(ch.before); check(ch.after); remove(ch.before, i); bagAdd(table, normRow(c, ch.after)); break;
        case 'd':
            if (!isObj(ch.before)) { problems.push(`change ${i + 1} (op d) has no "before"`); return; }
            check(ch.before); remove(ch.before, i); break;
        default:
            problems.push(`change ${i + 1} has an unknown op ${JSON.stringify(ch.op)}`);
        }
    };
    return { apply, bag: table };
}

// The final table of a list of changes, as rows.
function replayDebezium(c, changes, problems) {
    const r = debeziumReplayer(c, problems);
    changes.forEach((ch) => r.apply(ch));
    const rows = [];
    for (const e of r.bag.values()) for (let j = 0; j < e.n; j++) rows.push(e.row);
    return rows;
}

function runWadi(wadi, dir, c, p) {
    const sqlFile = `${c.name}.sql`;
    const args = ['run'];
    if (p !== null) args.push('-p', String(p));
    args.push(sqlFile);
    const t0 = Date.now();
    const r = spawnSync(wadi, args, { cwd: dir, encoding: 'utf8', timeout: 300000, maxBuffer: 64 << 20 });
    const secs = (Date.now() - t0) / 1000;
    const problems = [];
    if (r.error) problems.push(`could not run wadi: ${r.error.message}`);
    else if (r.status !== 0) {
        problems.push(`wadi ${args.join(' ')} exited with ${r.status === null ? 'signal ' + r.signal : 'status ' + r.status}:`);
        problems.push(...(r.stderr || '').trimEnd().split('\n').slice(0, 15).map((l) => '    ' + l));
    }
    if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(r.stderr || '')) {
        problems.push('sanitizer report:', ...(r.stderr.match(/.*(Sanitizer|runtime error).*/g) || []).slice(0, 5).map((l) => '    ' + l));
    }
    return { problems, secs };
}

// ---------------------------------------------------------------------------
// The harness pretending to be wadi (--fake-wadi).

function shuffle(a, seed) {
    let s = seed >>> 0;
    for (let i = a.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const j = s % (i + 1);
        [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
}

function wadiValue(kind, v) {
    if (v === null) return null;
    if (kind === 'ts') return normalise('ts', v);           // wadi's timestamp format
    if (kind === 'float') return Number(v) * (1 + 1e-13);   // within tolerance
    if (kind === 'int') return BigInt(v);
    return v;
}

function fakeWadi(c, duckObjs, dir, inputLines, broken) {
    const base = `${c.name}.out.jsonl`;
    const kinds = c.cols;
    let lines;
    if (c.debezium && c.input !== 'updating') {
        // an updating join's changelog: DuckDB's rows as creates, shuffled,
        // with NULL-padded rows that are created and later retracted (as
        // outer joins do), some of them by an update to a final row
        const rows = shuffle(duckObjs.map((o) => {
            const r = {};
            for (const [n, k] of Object.entries(kinds)) r[n] = wadiValue(k, o[n]);
            return r;
        }), 7);
        const names = Object.keys(kinds);
        const padded = (r) => Object.fromEntries(names.map((n, i) => [n, i < names.length / 2 ? r[n] : null]));
        lines = [];
        const retract = [];
        rows.forEach((r, i) => {
            if (i % 7 === 0) {
                lines.push(jsonWithBigInts({ before: null, after: padded(r), op: 'c' }));
                retract.push(padded(r));
            }
            if (i % 14 === 0) lines.push(jsonWithBigInts({ before: retract.pop(), after: r, op: 'u' }));
            else lines.push(jsonWithBigInts({ before: null, after: r, op: 'c' }));
            if (i % 5 === 0 && retract.length) lines.push(jsonWithBigInts({ before: retract.shift(), after: null, op: 'd' }));
        });
        for (const r of retract) lines.push(jsonWithBigInts({ before: r, after: null, op: 'd' }));
        if (broken) {
            lines.splice(0, 1); // lose a padded row's create: its retraction retracts a row never inserted
            const last = names[names.length - 1];
            const m = lines.findIndex((l) => { const ch = parseLine(l); return ch.op === 'c' && ch.after[last] !== null; });
            const ch = parseLine(lines[m]);
            ch.after[last] = BigInt(normalise('int', ch.after[last])) + 1n; // a wrong value
            lines[m] = jsonWithBigInts(ch);
        }
    } else if (c.debezium) {
        // what an updating aggregate emits: a create per new key, then updates
        const state = new Map();
        lines = [];
        for (const l of inputLines) {
            const o = parseLine(l);
            const v = o.v === null ? null : BigInt(typeof o.v === 'string' ? o.v.slice(BIG.length) : o.v);
            const old = state.get(o.k);
            const cur = old ? { k: o.k, c: old.c + 1n, s: v === null ? old.s : (old.s === null ? v : old.s + v) }
                : { k: o.k, c: 1n, s: v };
            state.set(o.k, cur);
            lines.push(jsonWithBigInts(old ? { before: old, after: cur, op: 'u' } : { before: null, after: cur, op: 'c' }));
        }
        if (broken) lines.splice(lines.length >> 1, 1); // lose one change: the next one retracts a row never inserted
    } else {
        let rows = duckObjs.map((o) => {
            const r = {};
            for (const [n, k] of Object.entries(kinds)) r[n] = wadiValue(k, o[n]);
            return r;
        });
        if (broken && rows.length > 5) {
            const names = Object.keys(kinds);
            const intCol = names.filter((n) => kinds[n] === 'int').pop();
            const floatCol = names.find((n) => kinds[n] === 'float');
            rows[0][intCol] = rows[0][intCol] === null ? 1n : rows[0][intCol] + 1n;   // wrong value
            if (floatCol && rows[1][floatCol] !== null) rows[1][floatCol] *= 1 + 1e-6; // beyond tolerance
            const tsCol = names.find((n) => kinds[n] === 'ts');
            const t = rows.findIndex((r, i) => i >= 2 && r[tsCol] !== null); // outer joins: NULL times
            rows[t][tsCol] = normalise('ts', { micros: parseTsNs(rows[t][tsCol]) / 1000n + 1000n }); // + 1 ms
            rows.push({ ...rows[3] });                                                // duplicate
            rows.splice(4, 1);                                                        // missing
        }
        rows = shuffle(rows, 7);
        lines = rows.map(jsonWithBigInts);
    }
    const half = lines.length >> 1; // as if two subtasks wrote PATH and PATH-1
    fs.writeFileSync(path.join(dir, base), lines.slice(0, half).map((l) => l + '\n').join(''));
    fs.writeFileSync(path.join(dir, base + '-1'), lines.slice(half).map((l) => l + '\n').join(''));
}

// ---------------------------------------------------------------------------

function parseArgs(argv) {
    const o = { wadi: null, cases: null, rows: 100000, seed: 42, par: [null], keep: null, printSql: false, fake: null, max: 10 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const val = () => {
            if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
            return argv[++i];
        };
        if (a === '--cases') o.cases = val().split(',').filter(Boolean);
        else if (a === '--rows') o.rows = parseInt(val(), 10);
        else if (a === '--seed') o.seed = parseInt(val(), 10);
        else if (a === '-p' || a === '--parallelism') o.par = val().split(',').map((x) => parseInt(x, 10));
        else if (a === '--keep') o.keep = val();
        else if (a === '--print-sql') o.printSql = true;
        else if (a === '--fake-wadi') o.fake = 'ok';
        else if (a === '--fake-wadi=broken') o.fake = 'broken';
        else if (a === '--max-diff') o.max = parseInt(val(), 10);
        else if (a === '-h' || a === '--help') { o.help = true; }
        else if (a.startsWith('-')) throw new Error(`unknown option '${a}'`);
        else if (o.wadi === null) o.wadi = a;
        else throw new Error(`unexpected argument '${a}'`);
    }
    if (!(o.rows > 0)) throw new Error('--rows must be a positive integer');
    if (o.par.some((p) => p !== null && !(p > 0))) throw new Error('--parallelism takes positive integers, e.g. 1,2');
    return o;
}

async function main() {
    let o;
    try { o = parseArgs(process.argv.slice(2)); } catch (e) {
        console.error(`diff.js: ${e.message}`); return 2;
    }
    const usage = 'usage: node diff.js WADI_BINARY [--cases a,b] [--rows N] [--seed S] [-p 1,2] [--keep DIR] [--print-sql] [--fake-wadi[=broken]] [--max-diff N]';
    if (o.help) { console.log(usage); return 0; }
    let cases = CASES;
    if (o.cases) {
        cases = CASES.filter((c) => o.cases.includes(c.name) || o.cases.includes(c.letter));
        const unknown = o.cases.filter((n) => !CASES.some((c) => c.name === n || c.letter === n));
        if (unknown.length) { console.error(`diff.js: unknown case(s) ${unknown.join(', ')}; cases: ${CASES.map((c) => `${c.letter}=${c.name}`).join(' ')}`); return 2; }
    }
    if (o.printSql) {
        for (const c of cases) console.log(`-- ${c.name}.sql\n${caseSql(c)}`);
        return 0;
    }
    if (!o.fake && !o.wadi) { console.error(usage); return 2; }
    const wadi = o.wadi ? path.resolve(o.wadi) : null;
    if (!o.fake && !fs.existsSync(wadi)) { console.error(`diff.js: no wadi binary at ${o.wadi}`); return 2; }

    let duckdb;
    try { duckdb = require('@duckdb/node-api'); } catch (e) {
        console.error('diff.js: @duckdb/node-api is not installed: run `npm ci --prefix tests/diff` (make deps does)');
        return 2;
    }

    const t0 = Date.now();
    const dir = o.keep ? path.resolve(o.keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'wadi-diff-'));
    fs.mkdirSync(dir, { recursive: true });
    const inst = await duckdb.DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    let failed = 0;
    try {
        // inputs: generated once, loaded into DuckDB with explicit column types
        const inputLines = {};
        for (const name of [...new Set(cases.flatMap(caseInputs))]) {
            const lines = gen.generate({ ...INPUTS[name].gen(o.rows), seed: o.seed });
            inputLines[name] = lines;
            const file = path.join(dir, `${name}.jsonl`);
            fs.writeFileSync(file, lines.join('\n') + '\n');
            await con.run(`CREATE OR REPLACE TABLE ${name} AS SELECT * FROM read_json('${file.replace(/'/g, "''")}', ` +
                `format = 'newline_delimited', columns = ${INPUTS[name].duck})`);
            const n = (await con.runAndReadAll(`SELECT count(*) FROM ${name}`)).getRows()[0][0];
            if (Number(n) !== lines.length) throw new Error(`DuckDB read ${n} rows of ${name}.jsonl, expected ${lines.length}`);
        }
        const ver = (await con.runAndReadAll('SELECT version()')).getRows()[0][0];
        console.log(`diff: DuckDB ${ver}; inputs ${Object.entries(inputLines).map(([k, v]) => `${k}=${v.length}`).join(', ')} rows` +
            (o.fake ? `; FAKE wadi (${o.fake})` : `; wadi ${o.wadi}`) + (o.keep ? `; files in ${dir}` : ''));

        for (const c of cases) {
            const reader = await con.runAndReadAll(c.duck);
            let duckObjs = reader.getRowObjects();
            const duckCols = reader.columnNames().join(',');
            if (duckCols !== Object.keys(c.cols).join(',')) throw new Error(`case ${c.name}: DuckDB query has columns ${duckCols}`);
            const duckBag = new Map();
            for (const r of duckObjs) bagAdd(duckBag, normRow(c, r));
            const nd = duckObjs.length;
            if (!o.fake) duckObjs = null; // only the fake wadi needs them
            fs.writeFileSync(path.join(dir, `${c.name}.sql`), caseSql(c));
            for (const p of o.par) {
                const label = `${c.letter}) ${c.name}` + (p !== null ? ` -p ${p}` : '');
                const base = `${c.name}.out.jsonl`;
                sinkFiles(dir, base).forEach((f) => fs.unlinkSync(f));
                let problems = [], secs = 0;
                if (o.fake) fakeWadi(c, duckObjs, dir, inputLines[caseInputs(c)[0]], o.fake === 'broken');
                else ({ problems, secs } = runWadi(wadi, dir, c, p));
                let res = null, nw = 0;
                if (!problems.length) {
                    const files = sinkFiles(dir, base);
                    if (!files.length) problems.push(`wadi wrote no ${base}`);
                    let wadiBag;
                    if (c.debezium) {
                        const r = debeziumReplayer(c, problems);
                        readJsonLines(files, problems, r.apply);
                        wadiBag = r.bag;
                    } else {
                        const check = columnChecker(c, problems);
                        wadiBag = new Map();
                        readJsonLines(files, problems, (obj) => { check(obj); bagAdd(wadiBag, normRow(c, obj)); });
                    }
                    nw = bagSize(wadiBag);
                    res = compareBags(c, wadiBag, duckBag);
                }
                const ok = !problems.length && res.ok;
                const time = o.fake ? '' : `, wadi ${secs.toFixed(2)} s`;
                console.log(`${ok ? 'PASS' : 'FAIL'} ${label}: ${res ? `wadi ${nw} rows, duckdb ${nd} rows` : 'no comparison'}${time}`);
                const maxp = Math.max(o.max, 20);
                if (problems.length) console.log(problems.slice(0, maxp).map((l) => (l.startsWith('    ') ? l : '  ' + l)).join('\n') +
                    (problems.length > maxp ? `\n  … and ${problems.length - maxp} more problems` : ''));
                if (res && !res.ok) console.log(report(c, res, o.max));
                if (!ok) {
                    failed++;
                    console.log(`  reproduce: node tests/diff/diff.js WADI --cases ${c.letter}${p !== null ? ' -p ' + p : ''} --rows ${o.rows} --seed ${o.seed} --keep DIR`);
                }
            }
        }
    } finally {
        con.closeSync?.();
        inst.closeSync?.();
        if (!o.keep) fs.rmSync(dir, { recursive: true, force: true });
    }
    const runs = cases.length * o.par.length;
    console.log(`diff: ${runs - failed} passed, ${failed} failed (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return failed ? 1 : 0;
}

module.exports = { CASES, caseSql, parseLine, parseTsNs, fmtTsNs, normalise, normRow, floatEq, compare, report, replayDebezium, sinkFiles };

if (require.main === module) {
    main().then((rc) => { process.exitCode = rc; }, (e) => { console.error('diff.js:', e.stack || e); process.exitCode = 2; });
}
