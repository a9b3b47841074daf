// bench/q7_check.sh's comparison: DIR holds new.json, old.json (the two
// formulations' output) and bids.json (each with -N files of subtasks N > 0
// at -p > 1); DuckDB computes q7 from the bids
// and every pair of the three must be equal as multisets.
'use strict';
const duckdb = require('@duckdb/node-api');
const dir = process.argv[2];

async function main() {
    const inst = await duckdb.DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const cols = "{auction: 'BIGINT', price: 'BIGINT', bidder: 'BIGINT', datetime: 'TIMESTAMP'}";
    for (const t of ['new', 'old', 'bids'])
        await con.run(`CREATE TABLE ${t} AS SELECT * FROM read_json('${dir}/${t}.json*', ` +
            `format = 'newline_delimited', columns = ${cols})`);
    await con.run(`CREATE TABLE duck AS
        SELECT b.auction, b.price, b.bidder, b.datetime FROM bids b
        JOIN (SELECT time_bucket(INTERVAL 10 SECOND, datetime, TIMESTAMP '1970-01-01') AS ws,
                     max(price) AS maxprice FROM bids GROUP BY ws) m
        ON b.price = m.maxprice AND b.datetime >= m.ws AND b.datetime < m.ws + INTERVAL 10 SECOND`);
    const one = async (q) => Number((await con.runAndReadAll(q)).getRows()[0][0]);
    const n = {};
    for (const t of ['bids', 'new', 'old', 'duck']) n[t] = await one(`SELECT count(*) FROM ${t}`);
    const windows = await one(`SELECT count(DISTINCT time_bucket(INTERVAL 10 SECOND, datetime,
        TIMESTAMP '1970-01-01')) FROM bids`);
    console.log(`q7 check: ${n.bids} bids in ${windows} windows; rows: q7.sql ${n.new}, ` +
        `q7_windowed.sql ${n.old}, DuckDB ${n.duck}`);
    let bad = 0;
    for (const [a, b] of [['new', 'duck'], ['old', 'duck'], ['new', 'old']]) {
        const d1 = await one(`SELECT count(*) FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b})`);
        const d2 = await one(`SELECT count(*) FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a})`);
        console.log(`  ${a} vs ${b}: ${d1} rows only in ${a}, ${d2} only in ${b}`);
        bad += d1 + d2;
    }
    console.log(bad ? 'q7 check: FAILED' : 'q7 check: identical');
    return bad ? 1 : 0;
}
main().then((rc) => process.exit(rc), (e) => { console.error(e); process.exit(2); });
