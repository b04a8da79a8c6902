#!/usr/bin/env bash
# The floor: reading the input once (warm page cache). Prints a JSON line like the peers.
set -euo pipefail
start=$(date +%s.%N)
cat "$1" > /dev/null
end=$(date +%s.%N)
echo "{\"peer\": \"floor\", \"seconds\": $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')}"
