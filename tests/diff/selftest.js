#!/usr/bin/env node
// Checks of the differential harness's own helpers (no wadi, no DuckDB):
// lossless JSON, timestamp normalisation, float tolerance, the multiset
// comparison and the Debezium replay.  `node selftest.js` exits 1 on failure.
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const d = require('./diff.js');
const gen = require('./gen.js');

const tests = [];
const test = (name, f) => tests.push([name, f]);

test('big integers survive parsing, strings are left alone', () => {
    const o = d.parseLine('{"a":9007199254740993,"b":-12345678901234567,"c":"9007199254740993","d":0.12345678901234567,"e":1.5e300,"f":[1234567890123456789]}');
    assert.strictEqual(d.normalise('int', o.a), '9007199254740993');
    assert.strictEqual(d.normalise('int', o.b), '-12345678901234567');
    assert.strictEqual(o.c, '9007199254740993');
    assert.strictEqual(d.normalise('int', o.c).bad !== undefined, true); // a string is not an int
    assert.strictEqual(o.d, 0.12345678901234567);
    assert.strictEqual(o.e, 1.5e300);
    assert.strictEqual(d.normalise('int', o.f[0]), '1234567890123456789');
    assert.strictEqual(d.normalise('float', o.a), 9007199254740992);
});

test('ints: wrong types are flagged', () => {
    assert.strictEqual(d.normalise('int', 5), '5');
    assert.strictEqual(d.normalise('int', 5n), '5');
    assert.ok(d.normalise('int', 5.5).bad);
    assert.ok(d.normalise('int', '5').bad);
    assert.ok(d.normalise('int', true).bad);
    assert.ok(d.normalise('int', undefined).bad); // missing column
    assert.strictEqual(d.normalise('int', null), null);
});

test('timestamps normalise to one form', () => {
    const want = '2024-01-01T00:00:10.500';
    for (const s of ['2024-01-01T00:00:10.5', '2024-01-01 00:00:10.500000', '2024-01-01T00:00:10.500000000',
        '2024-01-01T00:00:10.500Z', '2024-01-01T01:00:10.5+01:00', '2023-12-31T23:00:10.5-0100']) {
        assert.strictEqual(d.normalise('ts', s), want, s);
    }
    assert.strictEqual(d.normalise('ts', { micros: 1704067210500000n }), want);
    assert.strictEqual(d.normalise('ts', '2024-01-01T00:00:10'), '2024-01-01T00:00:10');
    assert.strictEqual(d.normalise('ts', '2024-01-01T00:00:10.000'), '2024-01-01T00:00:10');
    assert.strictEqual(d.normalise('ts', '2024-01-01T00:00:10.000001'), '2024-01-01T00:00:10.000001');
    assert.strictEqual(d.normalise('ts', '2024-01-01T00:00:10.000000001'), '2024-01-01T00:00:10.000000001');
    assert.strictEqual(d.fmtTsNs(-1n), '1969-12-31T23:59:59.999999999');
    assert.ok(d.normalise('ts', 'yesterday').bad);
    assert.ok(d.normalise('ts', 1704067210500).bad);
    // gen.js writes the same form
    assert.strictEqual(gen.fmtTs(Date.UTC(2024, 0, 1, 0, 0, 10, 500)), want);
    assert.strictEqual(gen.fmtTs(Date.UTC(2024, 0, 1, 0, 0, 10)), '2024-01-01T00:00:10');
});

test('floats: relative tolerance 1e-9', () => {
    assert.ok(d.floatEq(1, 1 + 1e-12));
    assert.ok(d.floatEq(1e300, 1e300 * (1 + 5e-10)));
    assert.ok(!d.floatEq(1, 1 + 1e-8));
    assert.ok(!d.floatEq(-1, 1));
    assert.ok(d.floatEq(0, 1e-13));
    assert.ok(d.floatEq(NaN, NaN));
});

const C = { cols: { k: 'text', ws: 'ts', c: 'int', a: 'float' }, key: ['k', 'ws'] };
const row = (k, ws, c, a) => d.normRow(C, { k, ws, c, a });

test('compare: multisets, tolerance, duplicates, nulls', () => {
    const W = [row('x', '2024-01-01T00:00:00', 1, 0.1 + 0.2), row('y', '2024-01-01T00:00:00', 2, null),
        row('y', '2024-01-01T00:00:00', 2, null), row(null, '2024-01-01T00:00:10', 3, 1)];
    const D = [row('y', '2024-01-01 00:00:00', 2, null), row(null, '2024-01-01T00:00:10.000', 3, 1),
        row('x', '2024-01-01T00:00:00Z', 1, 0.3), row('y', '2024-01-01T00:00:00', 2, null)];
    assert.ok(d.compare(C, W, D).ok);
    assert.ok(!d.compare(C, W.slice(1), D).ok);
    const r = d.compare(C, W.concat([W[1]]), D);
    assert.strictEqual(r.onlyWadi.length, 1);
    const r2 = d.compare(C, [row('x', '2024-01-01T00:00:00', 1, 0.31)], [row('x', '2024-01-01T00:00:00', 1, 0.3)]);
    assert.strictEqual(r2.differ.length, 1);
    assert.match(d.report(C, r2, 10), /\*a: 0\.31\*/);
    const r3 = d.compare(C, [row('x', '2024-01-01T00:00:00', 1, null)], [row('x', '2024-01-01T00:00:00', 1, 0)]);
    assert.strictEqual(r3.differ.length, 1); // NULL is not 0
    const r4 = d.compare(C, [d.normRow(C, { k: 'x', ws: '2024-01-01T00:00:00', c: 1 })], [row('x', '2024-01-01T00:00:00', 1, null)]);
    assert.strictEqual(r4.differ.length, 1); // a missing column is not NULL
});

test('Debezium replay: c, r, u, d; bad retractions reported', () => {
    const E = { cols: { k: 'text', c: 'int' }, key: ['k'] };
    const ch = (op, before, after) => ({ op, before, after });
    let problems = [];
    const rows = d.replayDebezium(E, [
        ch('c', null, { k: 'a', c: 1 }), ch('r', null, { k: 'b', c: 1 }), ch('u', { k: 'a', c: 1 }, { k: 'a', c: 2 }),
        ch('d', { k: 'b', c: 1 }, null), ch('c', null, { k: 'b', c: 5 }), ch('c', null, { k: 'z', c: 1 }),
        ch('d', { k: 'z', c: 1 }, null)], problems);
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(rows.map((r) => r.join(':')).sort(), ['a:2', 'b:5']);
    problems = [];
    d.replayDebezium(E, [ch('c', null, { k: 'a', c: 1 }), ch('u', { k: 'a', c: 2 }, { k: 'a', c: 3 }),
        ch('x', null, null), ch('u', null, { k: 'a', c: 1 }), 7], problems);
    assert.strictEqual(problems.length, 4, problems.join('\n'));
    assert.match(problems[0], /change 2 retracts a row that is not in the table/);
    problems = [];
    d.replayDebezium(E, [ch('c', null, { k: 'a', c: 1, extra: 1 })], problems);
    assert.match(problems[0], /columns are \[k,c,extra\], expected \[k,c\]/);
});

test('sink files: PATH and PATH-n only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wadi-diff-selftest-'));
    try {
        for (const f of ['x.jsonl', 'x.jsonl-1', 'x.jsonl-12', 'x.jsonl-a', 'x.jsonl.bak', 'y.jsonl']) fs.writeFileSync(path.join(dir, f), '');
        assert.deepStrictEqual(d.sinkFiles(dir, 'x.jsonl').map((f) => path.basename(f)), ['x.jsonl', 'x.jsonl-1', 'x.jsonl-12']);
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('generator: deterministic, no late rows for a 5 s watermark', () => {
    for (const mode of ['dense', 'sparse', 'updating']) {
        const a = gen.generate({ mode, rows: 3000, seed: 7 });
        assert.deepStrictEqual(a, gen.generate({ mode, rows: 3000, seed: 7 }));
        assert.notDeepStrictEqual(a, gen.generate({ mode, rows: 3000, seed: 8 }));
        assert.strictEqual(a.length, 3000);
        let max = -Infinity;
        for (const l of a) {
            const o = JSON.parse(l);
            const t = Date.parse(o.ts + 'Z');
            assert.ok(t >= max - gen.MAX_DISORDER_MS, `${mode}: ${o.ts} is more than 4 s behind`);
            max = Math.max(max, t);
            assert.deepStrictEqual(Object.keys(o), ['k', 'k2', 'v', 'd', 'ts']);
            if (o.k === 'key_49') assert.strictEqual(o.v, null);
        }
    }
});

test('generator: join sides deterministic, in ts order, fan-out at most 10', () => {
    for (const mode of ['join_l', 'join_r']) {
        const a = gen.generate({ mode, rows: 3000, seed: 7 });
        assert.deepStrictEqual(a, gen.generate({ mode, rows: 3000, seed: 7 }));
        assert.notDeepStrictEqual(a, gen.generate({ mode, rows: 3000, seed: 8 }));
        assert.strictEqual(a.length, 3000);
        const perKey = new Map();
        let prev = '', nulls = 0;
        for (const l of a) {
            const o = d.parseLine(l);
            assert.deepStrictEqual(Object.keys(o), mode === 'join_l' ? ['k', 'a', 'b', 'ts'] : ['k', 'c', 'd', 'ts']);
            assert.ok(o.ts >= prev, `${mode}: ${o.ts} after ${prev}`);
            prev = o.ts;
            if (o.k === null) { nulls++; continue; }
            const k = String(o.k);
            perKey.set(k, (perKey.get(k) || 0) + 1);
        }
        assert.ok(nulls > 0);
        assert.ok(Math.max(...perKey.values()) <= 10);
        assert.ok([...perKey.keys()].some((k) => k.startsWith('\u0000int:')), 'keys beyond 2^53');
    }
});

test('every case has SQL and a DuckDB query with the same columns', () => {
    for (const c of d.CASES) {
        const sql = d.caseSql(c);
        assert.match(sql, /INSERT INTO out/);
        assert.match(sql, new RegExp(`path = '${c.name}\\.out\\.jsonl'`));
        for (const col of Object.keys(c.cols)) assert.match(c.sql, new RegExp(`AS ${col}\\b|^SELECT ${col},|^SELECT.* ${col},`, 'm'), `${c.name}.${col}`);
        for (const k of c.key) assert.ok(k in c.cols);
    }
});

let failed = 0;
for (const [name, f] of tests) {
    try { f(); } catch (e) { failed++; console.log(`FAIL selftest: ${name}\n  ${String(e.message).split('\n').join('\n  ')}`); }
}
console.log(`selftest: ${tests.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
