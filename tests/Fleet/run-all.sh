#!/bin/sh
# Runs every fault of issue 14 once, one after the other (never in parallel: the figures assume the
# machine is otherwise idle), and writes DIR/<fault>.json, DIR/<fault>.txt and DIR/table.md.
# Usage, from the repository root: tests/Fleet/run-all.sh DIR [harness options, e.g. --grace 5]
set -eu
out=${1:?usage: tests/Fleet/run-all.sh DIR [options]}
shift
mkdir -p "$out"
dotnet build -c Release tests/Fleet
for fault in none lost-response kill-holder kill-before-write redis-outage redis-down redis-restart; do
    dotnet run -c Release --no-build --project tests/Fleet -- --fault "$fault" --out "$out/$fault.json" "$@" | tee "$out/$fault.txt"
done
dotnet run -c Release --no-build --project tests/Fleet -- table \
    "$out/none.json" "$out/lost-response.json" "$out/kill-holder.json" \
    "$out/kill-before-write.json" "$out/redis-outage.json" "$out/redis-down.json" "$out/redis-restart.json" | tee "$out/table.md"
