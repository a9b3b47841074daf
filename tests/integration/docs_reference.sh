#!/bin/bash
# The generated reference docs are in step with the code.
set -eu
wadi=$1
cd "$(dirname "$0")/../.."
diff -u docs/functions.md <("$wadi" functions)
diff -u <(sed -n '/<!-- BEGIN wadi connectors -->/,/<!-- END wadi connectors -->/p' docs/connectors.md | sed '1d;$d') <("$wadi" connectors)
echo "docs in step"
