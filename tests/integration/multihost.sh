#!/bin/bash
# Three hosts on one machine: network namespaces joined by veth pairs on a
# bridge.  A controller (`wadi controller`, node scheduler) runs in one,
# a `wadi node` daemon in each of the other two; the job — a windowed
# aggregate and an updating join into two-phase filesystem sinks, with
# checkpoints in a directory every host sees — runs with one worker on
# each node.  One node's worker is killed with SIGKILL; the controller
# must recover the job by itself.  Then the controller itself is killed
# with SIGKILL and started again with the same command: its workers stop
# on their own, the nodes register with the new controller, and the job
# resumes from its last checkpoint.  The committed output must equal an
# undisturbed run in one process (nothing lost, nothing repeated).
# Skips, saying so, only where namespaces cannot be created (not root).
# Usage: multihost.sh WADI_BINARY
set -u
wadi=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fold=$(cd "$(dirname "$0")/../sql" && pwd)/fold.js
. "$(dirname "$0")/lib/eo_query.sh"
tmp=$(mktemp -d)
tag="wd$$"
ns_ctl="${tag}c" ns_n1="${tag}a" ns_n2="${tag}b" br="${tag}br"
net=10.$((100 + $$ % 100)).$(($$ % 250)).
cleanup() {
    for ns in "$ns_ctl" "$ns_n1" "$ns_n2"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    ip link del "$br" 2>/dev/null
    pkill -KILL -P $$ 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/lib/common.sh"

if ! ip netns add "$ns_ctl" 2>/dev/null; then
    echo "SKIP: cannot create network namespaces here (needs root and iproute2); multi-host test not run"
    exit 0
fi
ip netns add "$ns_n1" && ip netns add "$ns_n2" && ip link add "$br" type bridge &&
    ip link set "$br" up || { fail "cannot set up the bridge"; exit 1; }
i=10
for ns in "$ns_ctl" "$ns_n1" "$ns_n2"; do
    ip link add "${ns}h" type veth peer name "${ns}g" &&
        ip link set "${ns}g" netns "$ns" &&
        ip link set "${ns}h" master "$br" up &&
        ip netns exec "$ns" ip addr add "$net$i/24" dev "${ns}g" &&
        ip netns exec "$ns" ip link set "${ns}g" up &&
        ip netns exec "$ns" ip link set lo up || { fail "cannot wire namespace $ns"; exit 1; }
    i=$((i + 1))
done
ctl_ip=${net}10

mkdir -p "$tmp/ref" "$tmp/eo"
query "$tmp/ref" >"$tmp/ref.sql"
query "$tmp/eo" >"$tmp/eo.sql"
timeout 120 "$wadi" run -p 2 "$tmp/ref.sql" >/dev/null 2>"$tmp/ref.err" ||
    fail "undisturbed run: $(head -c 300 "$tmp/ref.err")"
committed "$tmp/ref" >"$tmp/ref.lines"

start_controller() { # log
    ip netns exec "$ns_ctl" timeout -s KILL 180 "$wadi" controller -p 2 --workers 2 --nodes 2 \
        --listen "$ctl_ip:9190" -s "$tmp/state" --checkpoint-interval 300ms "$tmp/eo.sql" \
        >/dev/null 2>"$1" &
    ctl=$!
}
start_controller "$tmp/ctl.err"
ip netns exec "$ns_n1" "$wadi" node --controller "$ctl_ip:9190" --listen "${net}11:9290" --id n1 \
    >/dev/null 2>"$tmp/n1.err" &
n1=$!
ip netns exec "$ns_n2" "$wadi" node --controller "$ctl_ip:9190" --listen "${net}12:9290" --id n2 \
    >/dev/null 2>"$tmp/n2.err" &
n2=$!

# wait for the job to run on both nodes, then kill node 2's worker
w=""
for _ in $(seq 1 100); do
    w=$(pgrep -P "$n2" | head -1)
    [ -n "$w" ] && pgrep -P "$n1" >/dev/null && break
    sleep 0.1
done
[ -n "$w" ] || fail "no worker started on node 2: $(tail -c 300 "$tmp/ctl.err") $(tail -c 300 "$tmp/n2.err")"
sleep 2
# the controller's admin port has every subtask's counters, a node's its workers
ip netns exec "$ns_ctl" curl -s -m 5 "http://$ctl_ip:9191/metrics" >"$tmp/ctl.metrics"
nsub=$(grep -c '^wadi_subtask_rows_in_total{' "$tmp/ctl.metrics")
nbusy=$(grep '^wadi_subtask_rows_in_total{' "$tmp/ctl.metrics" | awk '$2 > 0' | wc -l)
[ "$nsub" -ge 4 ] && [ "$nbusy" -ge 4 ] ||
    fail "controller /metrics: $nsub subtask series, $nbusy with rows: $(head -c 300 "$tmp/ctl.metrics")"
ip netns exec "$ns_n1" curl -s -m 5 "http://${net}11:9291/status" >"$tmp/n1.status"
grep -q '"workers":\[{"attempt"' "$tmp/n1.status" || fail "node /status: $(cat "$tmp/n1.status")"
sleep 1
[ -n "$w" ] && kill -KILL "$w"
# after the recovery, kill the controller itself, then start it again
for _ in $(seq 1 100); do
    [ "$(grep -c 'restoring checkpoint' "$tmp/ctl.err")" -ge 1 ] && break
    sleep 0.1
done
sleep 2
c=$(pgrep -P "$ctl" | head -1)
[ -n "$c" ] && kill -KILL "$c"
wait "$ctl" 2>/dev/null
grep -q "Running -> Recovering" "$tmp/ctl.err" || fail "no recovery logged: $(tail -c 300 "$tmp/ctl.err")"
# its workers notice and stop by themselves
for _ in $(seq 1 100); do
    pgrep -P "$n1" >/dev/null || pgrep -P "$n2" >/dev/null || break
    sleep 0.1
done
if pgrep -P "$n1" >/dev/null || pgrep -P "$n2" >/dev/null; then
    fail "workers outlived their controller"
fi
start_controller "$tmp/ctl2.err"
wait "$ctl"; rc=$?
[ "$rc" -eq 0 ] || fail "the restarted controller did not finish the job (exit $rc): $(tail -c 500 "$tmp/ctl2.err")"
grep -q "restoring checkpoint" "$tmp/ctl2.err" || fail "the restarted controller did not resume from a checkpoint"
grep -q "registered" "$tmp/ctl.err" || fail "nodes did not register"
committed "$tmp/eo" >"$tmp/eo.lines"
nref=$(wc -l <"$tmp/ref.lines")
if cmp -s "$tmp/ref.lines" "$tmp/eo.lines"; then
    echo "ok: $nref lines across 3 hosts, identical after a worker was killed on one node and the controller was killed and restarted"
else
    fail "$nref lines expected, $(wc -l <"$tmp/eo.lines") committed"
fi
[ "$nref" -gt 1000 ] || fail "the reference wrote only $nref lines"
kill -TERM "$n1" "$n2" 2>/dev/null
wait "$n1" "$n2" 2>/dev/null
finish multihost "$tmp"/*.err
