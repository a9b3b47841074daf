#!/bin/sh
# make run: the main job.  Until the cluster exists this is the tutorial's
# first pipeline, printing Nexmark bids until interrupted.
cd "$(dirname "$0")/.."
echo "wadi: running examples/tutorial.sql (Ctrl-C to stop)" >&2
exec build/wadi run ${WADI_ARGS:-} "${WADI_SQL:-examples/tutorial.sql}"
