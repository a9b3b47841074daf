#!/usr/bin/env node
// Deterministic input for the differential tests: JSON lines with the
// columns k TEXT, k2 BIGINT, v BIGINT, d DOUBLE, ts TIMESTAMP.
//
//   node gen.js [--mode dense|sparse|updating|join_l|join_r] [--rows N] [--seed S] [--out FILE]
//
// Modes:
//   dense     (default) row i has ts = BASE + i*10ms + jitter, jitter in
//             [-4 s, 0] (whole milliseconds, half of them multiples of 10 ms so
//             that rows land exactly on window boundaries).  Rows are written
//             in i order: ts advances overall but is out of order by up to 4 s.
//   sparse    for sessions: each of the 50 keys has its own timeline with
//             random gaps of 0.5–6 s (multiples of 250 ms, so gaps of exactly
//             3 s occur; 2% of gaps are 0, i.e. equal timestamps); rows are
//             written in order of ts + delay, delay in [0, 4 s].
//   updating  for updating aggregates: skewed key frequencies and large |v|
//             (sums exceed 2^53, so they test lossless 64-bit handling).
//   join_l, join_r  the two sides of the join cases, with other columns:
//             join_l is k BIGINT, a BIGINT, b TEXT, ts TIMESTAMP and join_r
//             k BIGINT, c BIGINT, d TEXT, ts TIMESTAMP.  See genJoin.
//
// In the first three modes ts >= (greatest ts written before) - 4 s, so with
// WATERMARK FOR ts AS ts - INTERVAL '5' SECOND no row is ever late.  Key
// 'key_49' always has v = NULL (its sum/min/max/avg are NULL).  The join
// modes are in ts order.
// The same options give the same file byte for byte.
'use strict';
const fs = require('fs');

const BASE_MS = Date.UTC(2024, 0, 1, 0, 0, 0);
const NKEYS = 50;
const NK2 = 1000;
const MAX_DISORDER_MS = 4000;

// mulberry32: small, fast, deterministic 32-bit PRNG.
function prng(seed) {
    let a = seed >>> 0;
    const next = () => {
        a = (a + 0x6D2B79F5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    return {
        next,
        int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // [lo, hi]
        chance: (p) => next() < p,
    };
}

function keyName(i) { return 'key_' + String(i).padStart(2, '0'); }
const NULL_KEY = keyName(NKEYS - 1);

// Timestamps as wadi writes them: 2024-01-01T00:00:10 or …T00:00:10.500.
function fmtTs(ms) {
    const s = new Date(ms).toISOString(); // 2024-01-01T00:00:10.500Z
    const frac = ms % 1000;
    return frac === 0 ? s.slice(0, 19) : s.slice(0, 23);
}

function valueCols(r, k, mode) {
    let v;
    if (k === NULL_KEY || r.chance(0.05)) v = null;
    else if (mode === 'updating') v = r.int(-1e12, 9e12); // sums pass 2^53
    else v = r.int(-1000000, 1000000);
    let d = null;
    if (!r.chance(0.03)) d = Math.round((r.next() * 2000 - 1000) * 1e6) / 1e6;
    return { v, d };
}

function line(k, k2, v, d, tsMs) {
    return JSON.stringify({ k, k2, v, d, ts: fmtTs(tsMs) });
}

function genDense(r, rows) {
    const out = new Array(rows);
    for (let i = 0; i < rows; i++) {
        const k = keyName(r.int(0, NKEYS - 1));
        const k2 = r.int(0, NK2 - 1);
        const jitter = r.chance(0.5) ? r.int(0, MAX_DISORDER_MS / 10) * 10 : r.int(0, MAX_DISORDER_MS);
        const { v, d } = valueCols(r, k, 'dense');
        out[i] = line(k, k2, v, d, BASE_MS + i * 10 - jitter);
    }
    return out;
}

function genSparse(r, rows) {
    const ev = [];
    const perKey = Math.ceil(rows / NKEYS);
    for (let kk = 0; kk < NKEYS && ev.length < rows; kk++) {
        let t = BASE_MS + r.int(0, 24) * 250;
        for (let j = 0; j < perKey && ev.length < rows; j++) {
            if (j > 0) t += r.chance(0.02) ? 0 : r.int(2, 24) * 250; // 0.5 s .. 6 s
            const { v, d } = valueCols(r, keyName(kk), 'sparse');
            const delay = r.int(0, MAX_DISORDER_MS);
            ev.push({ arrival: t + delay, seq: ev.length, k: keyName(kk), k2: r.int(0, NK2 - 1), v, d, t });
        }
    }
    ev.sort((a, b) => a.arrival - b.arrival || a.seq - b.seq);
    return ev.map((e) => line(e.k, e.k2, e.v, e.d, e.t));
}

function genUpdating(r, rows) {
    const out = new Array(rows);
    for (let i = 0; i < rows; i++) {
        // skewed: key_00 is the most frequent, key_48 the least; key_49 (all
        // NULL v) appears in ~1% of rows.
        let ki;
        if (r.chance(0.01)) ki = NKEYS - 1;
        else ki = Math.min(NKEYS - 2, Math.floor(Math.pow(r.next(), 2.5) * (NKEYS - 1)));
        const k = keyName(ki);
        const { v, d } = valueCols(r, k, 'updating');
        out[i] = line(k, r.int(0, NK2 - 1), v, d, BASE_MS + i * 10);
    }
    return out;
}

// The join inputs.  Key ids 0, 1, 2, … are laid out by a PRNG that both
// sides share: 80% of the ids are on both sides, 10% only on the left, 10%
// only on the right.  Id i has the BIGINT key (i - 1000) * 1000003, except
// that ids 20m + 7 and 20m + 8 have the keys 2^53 + 4m + 4 and 2^53 + 4m + 5:
// different keys that are the same double, so keys must be handled
// losslessly.  Its rows
// lie in [centre, centre + 20 s], the centres 80 ms apart.  Each side gives
// a key of its own 9-10 rows (1-3 for one key in ten), so a key's fan-out is
// at most 10 per side; 1% of the rows have a NULL key.  ts is in whole
// quarter seconds for half the rows (so r.ts = l.ts and r.ts = l.ts + 2 s
// occur), whole milliseconds otherwise; a and c (5% NULL) are in [-100, 100]
// so l.a < r.c holds for about half the pairs and l.a = r.c happens.  The
// rows are written in ts order (ties in generation order).
function joinKey(i) {
    const m = BigInt(Math.floor(i / 20));
    if (i % 20 === 7 || i % 20 === 8) return (2n ** 53n + 4n * m + BigInt(i % 20 - 3)).toString();
    return ((BigInt(i) - 1000n) * 1000003n).toString();
}
const JOIN_SPAN_MS = 20000;
function genJoin(seed, rows, side) {
    const layout = prng(seed ^ 0x4a4f494e);
    const r = prng((seed + (side === 'l' ? 7919 : 104729)) >>> 0);
    const nNull = Math.round(rows * 0.01);
    const ev = [];
    let i = 0;
    for (; ev.length < rows - nNull; i++) {
        const u = layout.next();
        const centre = BASE_MS + i * 80 + layout.int(0, 999);
        const here = u < 0.8 || (side === 'l' ? u < 0.9 : u >= 0.9);
        if (!here) continue;
        const n = Math.min(r.chance(0.1) ? r.int(1, 3) : r.int(9, 10), rows - nNull - ev.length);
        const k = joinKey(i);
        for (let j = 0; j < n; j++) ev.push({ k, t: centre + joinOffset(r) });
    }
    const lastMs = BASE_MS + i * 80 + JOIN_SPAN_MS;
    while (ev.length < rows) ev.push({ k: 'null', t: BASE_MS + r.int(0, Math.floor((lastMs - BASE_MS) / 250)) * 250 });
    const out = ev.map((e, seq) => {
        const v = r.chance(0.05) ? 'null' : String(r.int(-100, 100));
        const text = JSON.stringify(`${side}${seq}` + (r.chance(0.01) ? ' "é\\' : ''));
        return { t: e.t, seq, line: side === 'l'
            ? `{"k":${e.k},"a":${v},"b":${text},"ts":"${fmtTs(e.t)}"}`
            : `{"k":${e.k},"c":${v},"d":${text},"ts":"${fmtTs(e.t)}"}` };
    });
    out.sort((a, b) => a.t - b.t || a.seq - b.seq);
    return out.map((e) => e.line);
}
function joinOffset(r) {
    return r.chance(0.5) ? r.int(0, JOIN_SPAN_MS / 250) * 250 : r.int(0, JOIN_SPAN_MS);
}

function generate({ mode = 'dense', rows = 100000, seed = 42 } = {}) {
    const r = prng(seed);
    switch (mode) {
    case 'dense': return genDense(r, rows);
    case 'sparse': return genSparse(r, rows);
    case 'updating': return genUpdating(r, rows);
    case 'join_l': return genJoin(seed, rows, 'l');
    case 'join_r': return genJoin(seed, rows, 'r');
    default: throw new Error(`unknown mode '${mode}' (dense, sparse, updating, join_l, join_r)`);
    }
}

function writeFile(path, opts) {
    const lines = generate(opts);
    fs.writeFileSync(path, lines.join('\n') + '\n');
    return lines.length;
}

module.exports = { generate, writeFile, fmtTs, BASE_MS, MAX_DISORDER_MS };

if (require.main === module) {
    const opts = { mode: 'dense', rows: 100000, seed: 42 };
    let out = null;
    const argv = process.argv.slice(2);
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const val = () => {
            if (i + 1 >= argv.length) { console.error(`gen.js: ${a} needs a value`); process.exit(2); }
            return argv[++i];
        };
        if (a === '--mode') opts.mode = val();
        else if (a === '--rows') opts.rows = parseInt(val(), 10);
        else if (a === '--seed') opts.seed = parseInt(val(), 10);
        else if (a === '--out') out = val();
        else if (a === '-h' || a === '--help') {
            console.log('usage: node gen.js [--mode dense|sparse|updating|join_l|join_r] [--rows N] [--seed S] [--out FILE]');
            process.exit(0);
        } else { console.error(`gen.js: unknown argument '${a}'`); process.exit(2); }
    }
    if (!(opts.rows > 0)) { console.error('gen.js: --rows must be a positive integer'); process.exit(2); }
    const lines = generate(opts);
    const text = lines.join('\n') + '\n';
    if (out) fs.writeFileSync(out, text); else process.stdout.write(text);
}
