#!/bin/bash
# The S3 checkpoint store against a real S3-compatible server on loopback:
# s3rver (tests/s3, from the npm lock file) with a fresh data directory, the
# bucket created, on a free port.  s3rver does not check SigV4 signatures,
# so the requests go through a small proxy (written below) that verifies
# each signature the way S3 does — canonical request, string to sign,
# signing key — with the session token signed too, before passing the
# request on.  Runs the store unit tests' s3_* cases (test_store of the
# same build as WADI_BINARY) against it, then stops the server and checks
# that the now closed port gives a clear "cannot connect" error within
# 10 s rather than a hang.
# Usage: s3_store.sh WADI_BINARY
# Skips (exit 0) only when node is not installed; `make deps` installs it
# and s3rver.
set -u
bindir=$(cd "$(dirname "$1")" && pwd)
tests=$bindir/tests/test_store
s3=$(cd "$(dirname "$0")/../s3" && pwd)
if ! command -v node >/dev/null 2>&1; then
    echo "SKIP s3_store: node is not installed (make deps installs it)"
    exit 0
fi
if [ ! -f "$s3/node_modules/s3rver/package.json" ]; then
    echo "s3_store: tests/s3/node_modules is missing: run make deps (npm ci --prefix tests/s3)"
    exit 1
fi
if [ ! -x "$tests" ]; then
    echo "s3_store: $tests is missing: build it with make unit"
    exit 1
fi
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The port a server printed "… listening on 127.0.0.1:PORT" into log $1
# (waits up to 20 s); empty when it did not.
listen_port() {
    local n=0 port=""
    while [ $n -lt 200 ]; do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" | head -1)
        [ -n "$port" ] && break
        sleep 0.1
        n=$((n + 1))
    done
    echo "$port"
}

# s3rver makes its continuation tokens with DES, which OpenSSL 3 only has
# in its legacy provider.
mkdir -p "$tmp/data"
node --openssl-legacy-provider "$s3/node_modules/s3rver/bin/s3rver.js" -d "$tmp/data" \
    -a 127.0.0.1 -p 0 --configure-bucket wadi-test >"$tmp/s3rver.log" 2>&1 &
pids+=($!)
s3port=$(listen_port "$tmp/s3rver.log")
if [ -z "$s3port" ]; then
    echo "s3_store: s3rver did not start:"
    tail -20 "$tmp/s3rver.log"
    exit 1
fi
echo "ok: s3rver on 127.0.0.1:$s3port"

# The SigV4-checking proxy.  Rejected requests are answered 403
# SignatureDoesNotMatch (as S3 does) and logged as "REJECT …".
cat >"$tmp/sigv4_proxy.js" <<'EOF'
'use strict';
const http = require('http');
const crypto = require('crypto');
const [target, keyId, secret] = process.argv.slice(2);
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const hmac = (k, s) => crypto.createHmac('sha256', k).update(s).digest();
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');

// Why the request's signature is wrong, or null when it is right.
function check(req, body) {
    const auth = req.headers.authorization || '';
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^, ]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return 'malformed Authorization: ' + auth;
    const [, id, date, region, service, signed, sig] = m;
    if (id !== keyId) return null;  // the server answers InvalidAccessKeyId
    if (service !== 's3') return 'service ' + service;
    const amzDate = req.headers['x-amz-date'] || '';
    if (!amzDate.startsWith(date)) return 'x-amz-date ' + amzDate + ' vs scope ' + date;
    const names = signed.split(';');
    for (const h of ['host', 'x-amz-date', 'x-amz-content-sha256'])
        if (!names.includes(h)) return 'unsigned header ' + h;
    if (req.headers['x-amz-security-token'] && !names.includes('x-amz-security-token'))
        return 'unsigned session token';
    const payload = req.headers['x-amz-content-sha256'];
    if (payload !== 'UNSIGNED-PAYLOAD' && payload !== sha(body)) return 'payload hash';
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const query = q < 0 ? '' : req.url.slice(q + 1);
    const uri = path.split('/').map((s) => enc(decodeURIComponent(s))).join('/');
    const params = query ? query.split('&').map((p) => {
        const i = p.indexOf('=');
        const k = i < 0 ? p : p.slice(0, i), v = i < 0 ? '' : p.slice(i + 1);
        return [enc(decodeURIComponent(k)), enc(decodeURIComponent(v))];
    }) : [];
    params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1));
    const headers = names.map((n) =>
        n + ':' + String(req.headers[n] === undefined ? '' : req.headers[n]).trim().replace(/\s+/g, ' ') + '\n').join('');
    const creq = [req.method, uri, params.map((p) => p[0] + '=' + p[1]).join('&'), headers,
                  signed, payload].join('\n');
    const sts = ['AWS4-HMAC-SHA256', amzDate, `${date}/${region}/${service}/aws4_request`,
                 sha(creq)].join('\n');
    const key = hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request');
    if (hmac(key, sts).toString('hex') !== sig) return 'signature (canonical request:\n' + creq + '\n)';
    return null;
}

let ok = 0;
const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        const body = Buffer.concat(chunks);
        const why = check(req, body);
        if (why) {
            console.log(`REJECT ${req.method} ${req.url}: ${why}`);
            res.writeHead(403, {'Content-Type': 'application/xml'});
            res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch' +
                    '</Code><Message>The request signature we calculated does not match the ' +
                    'signature you provided.</Message></Error>');
            return;
        }
        ok++;
        const up = http.request(target + req.url, {method: req.method, headers: req.headers},
            (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
        up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
        up.end(body);
    });
});
process.on('SIGTERM', () => { console.log(`verified ${ok} requests`); process.exit(0); });
server.listen(0, '127.0.0.1', () =>
    console.log(`proxy listening on 127.0.0.1:${server.address().port}`));
EOF
node "$tmp/sigv4_proxy.js" "http://127.0.0.1:$s3port" S3RVER S3RVER >"$tmp/proxy.log" 2>&1 &
proxy_pid=$!
pids+=($proxy_pid)
pport=$(listen_port "$tmp/proxy.log")
if [ -z "$pport" ]; then
    echo "s3_store: the signature-checking proxy did not start:"
    tail -20 "$tmp/proxy.log"
    exit 1
fi

# run_tests LOG FILTER ENV… : the store tests matching FILTER, with ENV
run_tests() {
    local log=$1 filter=$2; shift 2
    env -u AWS_ENDPOINT_URL_S3 -u AWS_DEFAULT_REGION -u AWS_PROFILE WADI_TEST_FILTER="$filter" \
        "$@" timeout -s KILL 300 "$tests" >"$log" 2>&1
}
# passed LOG : the cmocka summary says all passed and nothing was skipped
passed() {
    grep -q '^\[  PASSED  \]' "$1" && ! grep -q -E '^\[  (FAILED|SKIPPED) *\]' "$1" &&
        ! grep -q -E 'Sanitizer|runtime error' "$1"
}

run_tests "$tmp/s3.log" 's3_*' WADI_TEST_S3_URL=s3://wadi-test/checkpoints \
    AWS_ENDPOINT_URL="http://127.0.0.1:$pport" AWS_ACCESS_KEY_ID=S3RVER \
    AWS_SECRET_ACCESS_KEY=S3RVER AWS_SESSION_TOKEN=wadi-test-session-token \
    AWS_REGION=eu-west-3 WADI_TEST_S3_VERIFIES_SIGNATURES=1
rc=$?
if [ $rc -eq 0 ] && passed "$tmp/s3.log"; then
    echo "ok: store tests against s3rver: $(sed -n 's/^\[  PASSED  \] //p' "$tmp/s3.log")"
else
    fail "store tests against s3rver (exit status $rc):"
    grep -v -E '^\[ RUN|^\[       OK' "$tmp/s3.log" | tail -40
fi
# A job checkpointing into the bucket: stopped with SIGINT part way (final
# checkpoint), killed with SIGKILL part way, resumed; its committed output
# equals an undisturbed run's.
cat >"$tmp/job.sql" <<EOF
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '20000', event_count = '60000',
                           base_time = '2026-01-01T00:00:00Z');
CREATE TABLE out WITH (connector = 'filesystem', path = '$tmp/out', format = 'json');
INSERT INTO out SELECT k, n, window.end AS e FROM (
    SELECT bid.auction % 20 AS k, count(*) AS n, tumble(interval '500 milliseconds') AS window
    FROM nexmark WHERE bid IS NOT NULL GROUP BY k, window);
EOF
sed "s|$tmp/out|$tmp/ref|" "$tmp/job.sql" >"$tmp/ref.sql"
s3env=(env AWS_ENDPOINT_URL="http://127.0.0.1:$pport" AWS_ACCESS_KEY_ID=S3RVER
       AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=eu-west-3)
job() { ( trap - INT TERM; exec "${s3env[@]}" timeout -s KILL 60 "$bindir/wadi" run \
          -s s3://wadi-test/job1 --checkpoint-interval 200ms "$tmp/job.sql" ) 2>>"$tmp/job.err" & }
# the wadi process of the job started last (timeout's child)
job_pid() { pgrep -P "$(pgrep -P $1 | head -1)" 2>/dev/null || pgrep -P $1 | head -1; }
"$bindir/wadi" run "$tmp/ref.sql" 2>/dev/null
job; j=$!; sleep 1; kill -INT "$(job_pid $j)" 2>/dev/null; wait $j; rc1=$?
job; j=$!; sleep 0.7; kill -KILL "$(job_pid $j)" 2>/dev/null; wait $j 2>/dev/null
job; j=$!; wait $j; rc3=$?
if [ "$rc1" -ne 0 ] || [ "$rc3" -ne 0 ] || ! grep -q "restored checkpoint" "$tmp/job.err"; then
    fail "a job checkpointing to s3 (exit $rc1, $rc3): $(tail -c 400 "$tmp/job.err")"
elif ! cmp -s <(cat "$tmp"/ref/*.json | sort) <(cat "$tmp"/out/*.json | sort); then
    fail "a job checkpointing to s3: output differs from an undisturbed run"
else
    echo "ok: a job checkpointing to s3 stopped, killed and resumed: $(cat "$tmp"/out/*.json | wc -l) rows, as undisturbed"
fi

# every request was signed right, but the one with a wrong secret on purpose
kill "$proxy_pid" 2>/dev/null
wait "$proxy_pid" 2>/dev/null
if grep '^REJECT' "$tmp/proxy.log" | grep -v -q 'bad-secret-probe'; then
    fail "requests with a wrong signature:"
    grep -A12 '^REJECT' "$tmp/proxy.log" | grep -v 'bad-secret-probe' | head -40
elif ! grep -q '^REJECT.*bad-secret-probe' "$tmp/proxy.log"; then
    fail "the request signed with a wrong secret was not seen"
else
    echo "ok: SigV4 signatures: $(grep '^verified' "$tmp/proxy.log")"
fi

# Stop the server: its port is now closed.
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
pids=()
start=$(date +%s%N)
run_tests "$tmp/down.log" 's3_unreachable' \
    WADI_TEST_S3_CLOSED_ENDPOINT="http://127.0.0.1:$s3port"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ $rc -ne 0 ] || ! passed "$tmp/down.log"; then
    fail "closed port (exit status $rc):"
    tail -20 "$tmp/down.log"
elif ! grep -q "cannot connect to http://127.0.0.1:$s3port (Connection refused)" "$tmp/down.log"; then
    fail "closed port: unexpected message: $(grep -m1 unreachable "$tmp/down.log")"
elif [ $ms -gt 10000 ]; then
    fail "closed port: took $ms ms"
else
    echo "ok: closed port -> $(sed -n 's/^unreachable: //p' "$tmp/down.log") [test run $ms ms]"
fi

# A job whose object store cannot be reached fails at once, saying why.
start=$(date +%s%N)
env AWS_ENDPOINT_URL="http://127.0.0.1:$s3port" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
    timeout -s KILL 60 "$bindir/wadi" run -s s3://wadi-test/job2 "$tmp/job.sql" 2>"$tmp/down.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ $rc -ne 1 ] || ! grep -q "cannot connect to http://127.0.0.1:$s3port" "$tmp/down.err"; then
    fail "a job with an unreachable store: exit $rc: $(head -c 300 "$tmp/down.err")"
elif [ $ms -gt 15000 ]; then
    fail "a job with an unreachable store took $ms ms to fail"
else
    echo "ok: a job with an unreachable store -> $(head -1 "$tmp/down.err" | cut -c1-140) [$ms ms]"
fi

if [ "$fails" -ne 0 ]; then
    echo "s3_store: $fails failed"
    exit 1
fi
echo "s3_store: all passed"
