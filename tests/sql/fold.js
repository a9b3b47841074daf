// Fold Debezium JSON lines (stdin) into the final table: apply every
// change in order and print the remaining rows, sorted.  A retraction of a
// row that is not there is an error.
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const rows = new Map();
for (const line of lines) {
    const r = JSON.parse(line);
    if (r.before) {
        const k = JSON.stringify(r.before);
        const n = rows.get(k) || 0;
        if (n === 0) { console.error('retraction of a row that is not there: ' + k); process.exit(1); }
        if (n === 1) rows.delete(k); else rows.set(k, n - 1);
    }
    if (r.after) {
        const k = JSON.stringify(r.after);
        rows.set(k, (rows.get(k) || 0) + 1);
    }
}
const out = [];
for (const [k, n] of rows) for (let i = 0; i < n; i++) out.push(k);
out.sort();
for (const k of out) console.log(k);
