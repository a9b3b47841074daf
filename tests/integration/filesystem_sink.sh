#!/bin/bash
# The `filesystem` sink through `wadi run`: part files rolled by size at
# -p 2 with custom names, holding exactly the rows of a bare SELECT of the
# same query; nothing hidden left behind; a second run into the same
# directory numbers its parts after the first run's (none overwritten);
# under checkpoints (-s) the committed output is the same, and a restart
# of the finished job writes nothing more; option errors at planning time.
# Usage: filesystem_sink.sh WADI_BINARY
set -u
wadi=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run NAME args… : wadi run, stdout → $tmp/NAME.out, stderr → $tmp/NAME.err
run() {
    local name=$1; shift
    timeout -s KILL 120 "$wadi" run "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    local rc=$?
    if grep -q -E 'Sanitizer|runtime error' "$tmp/$name.err"; then
        fail "$name: sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$tmp/$name.err")"
    fi
    return $rc
}

source_table="CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000', paced = 'false',
                                  event_count = '20000', base_time = '2026-01-01T00:00:00Z');"
select="SELECT bid.auction AS auction, bid.bidder AS bidder, bid.price AS price, bid.channel AS channel
        FROM nexmark WHERE bid IS NOT NULL AND bid.price % 3 = 0"
query() { # dir [paced source]
    if [ -n "${2:-}" ]; then echo "${source_table/\'false\'/\'true\'}"; else echo "$source_table"; fi
    cat <<EOF
CREATE TABLE bids WITH (connector = 'filesystem', path = '$1', format = 'json',
                        rolling_policy.file_size = '16KB',
                        file_naming.prefix = 'bids', file_naming.suffix = '.jsonl');
INSERT INTO bids $select;
EOF
}
printf '%s\n%s;\n' "$source_table" "$select" >"$tmp/ref.sql"
run ref -p 2 "$tmp/ref.sql" || fail "reference run: $(head -c 300 "$tmp/ref.err")"
sort "$tmp/ref.out" >"$tmp/ref.lines"
nref=$(wc -l <"$tmp/ref.lines")
[ "$nref" -gt 1000 ] || fail "the reference run printed only $nref rows"

# committed DIR: every line of every visible part, sorted
committed() { cat "$1"/*.jsonl 2>/dev/null | sort; }
# hidden DIR: the hidden files left in DIR
hidden() { ls -A "$1" | grep '^\.' | head -3; }

# ---- without checkpoints ------------------------------------------------
out="$tmp/plain/bids"
query "$out" >"$tmp/plain.sql"
run plain -p 2 "$tmp/plain.sql" || fail "plain run: $(head -c 300 "$tmp/plain.err")"
committed "$out" >"$tmp/plain.lines"
cmp -s "$tmp/ref.lines" "$tmp/plain.lines" ||
    fail "plain run: the parts do not hold the rows of the SELECT ($(wc -l <"$tmp/plain.lines") lines, want $nref)"
[ -z "$(hidden "$out")" ] || fail "plain run left hidden files: $(hidden "$out")"
bad=$(ls "$out" | grep -v -E '^bids-[01]-[0-9]+\.jsonl$' | head -3)
[ -z "$bad" ] || fail "unexpected file names: $bad"
for sub in 0 1; do
    n=$(ls "$out" | grep -c "^bids-$sub-")
    [ "$n" -ge 3 ] || fail "subtask $sub wrote $n parts, want several (rolled at 16 KiB)"
done
for f in "$out"/*.jsonl; do
    size=$(stat -c %s "$f")
    # a part is closed once it reaches 16 KiB: at most one row more
    [ "$size" -lt $((16384 + 200)) ] || fail "$(basename "$f") has $size bytes"
    [ "$size" -gt 0 ] || fail "$(basename "$f") is empty"
done
# a second run into the same directory: new numbers, old parts untouched
(cd "$out" && md5sum ./*.jsonl) >"$tmp/first.md5"
nfirst=$(ls "$out" | wc -l)
run plain2 -p 2 "$tmp/plain.sql" || fail "second plain run: $(head -c 300 "$tmp/plain2.err")"
(cd "$out" && md5sum -c --quiet "$tmp/first.md5") >/dev/null 2>&1 ||
    fail "the second run changed a part of the first"
[ "$(ls "$out" | wc -l)" -eq $((2 * nfirst)) ] ||
    fail "the second run wrote $(($(ls "$out" | wc -l) - nfirst)) parts, want $nfirst"

# ---- under checkpoints ---------------------------------------------------
out="$tmp/eo/bids"
query "$out" paced >"$tmp/eo.sql" # 2 s of wall clock: checkpoints along the way
grep -q "paced = 'true'" "$tmp/eo.sql" || fail "the checkpointed query is not paced"
run eo -p 2 -v -s "$tmp/state" --checkpoint-interval 100ms "$tmp/eo.sql" ||
    fail "checkpointed run: $(head -c 300 "$tmp/eo.err")"
ncp=$(grep -c "checkpoint [0-9]* complete" "$tmp/eo.err")
[ "$ncp" -ge 5 ] || fail "only $ncp checkpoints completed: $(head -c 300 "$tmp/eo.err")"
committed "$out" >"$tmp/eo.lines"
cmp -s "$tmp/ref.lines" "$tmp/eo.lines" ||
    fail "checkpointed run: $(wc -l <"$tmp/eo.lines") lines committed, want the $nref of the SELECT"
[ -z "$(hidden "$out")" ] || fail "checkpointed run left hidden files: $(hidden "$out")"
(cd "$out" && md5sum ./*.jsonl) >"$tmp/eo.md5"
run eo2 -p 1 -s "$tmp/state" "$tmp/eo.sql" || fail "restart: $(head -c 300 "$tmp/eo2.err")"
grep -q "had already finished" "$tmp/eo2.err" || fail "the restart did not see the finished job"
(cd "$out" && md5sum -c --quiet "$tmp/eo.md5") >/dev/null 2>&1 &&
    [ "$(ls -A "$out" | wc -l)" -eq "$(wc -l <"$tmp/eo.md5")" ] ||
    fail "the restart of a finished job changed its output"

# ---- errors ---------------------------------------------------------------
cat >"$tmp/bad_size.sql" <<EOF
$source_table
CREATE TABLE o WITH (connector = 'filesystem', path = '$tmp/x', rolling_policy.file_size = 'huge');
INSERT INTO o $select;
EOF
if run bad_size "$tmp/bad_size.sql"; then fail "a bad file_size was accepted"; fi
grep -q "option 'rolling_policy.file_size': 'huge' is not a size" "$tmp/bad_size.err" ||
    fail "bad file_size: $(head -c 300 "$tmp/bad_size.err")"
[ ! -e "$tmp/x" ] || fail "a refused query created its directory"
cat >"$tmp/bad_format.sql" <<EOF
$source_table
CREATE TABLE o WITH (connector = 'filesystem', path = '$tmp/x', format = 'avro');
INSERT INTO o $select;
EOF
if run bad_format "$tmp/bad_format.sql"; then fail "format 'avro' was accepted"; fi
grep -q "format 'avro' is not supported by connector 'filesystem'" "$tmp/bad_format.err" ||
    fail "bad format: $(head -c 300 "$tmp/bad_format.err")"
touch "$tmp/file"
cat >"$tmp/not_dir.sql" <<EOF
$source_table
CREATE TABLE o WITH (connector = 'filesystem', path = '$tmp/file');
INSERT INTO o $select;
EOF
if run not_dir "$tmp/not_dir.sql"; then fail "a path that is a file was accepted"; fi
grep -q "cannot create $tmp/file" "$tmp/not_dir.err" || fail "path is a file: $(head -c 300 "$tmp/not_dir.err")"

if [ "$fails" -ne 0 ]; then
    echo "filesystem_sink: $fails failed"
    exit 1
fi
echo "filesystem_sink: all passed ($nref rows)"
