#!/usr/bin/env bash
# What one add costs the knowledge base's snapshot at ROWS entries, against an add into an empty one, in one command.
#
#   bench/matrix/snapshot.sh [ROWS] [ADDS] [ROUNDS]
#
# Runs src/test/java/io/multimodalrag/search/SnapshotChanges.java (ROWS entries, default 1,000,000, with a matrix of
# 512 dimensions: 2 GB; ADDS adds, default 200) ROUNDS times (default 2), each in a fresh JVM, and prints the ratio
# add into ROWS ÷ add into empty (the shared-store issue's goal: at most 2), and the former per-write index rebuild.
set -euo pipefail
cd "$(dirname "$0")/../.."

rows=${1:-1000000}
adds=${2:-200}
rounds=${3:-2}
./mvnw -o -q test-compile
libs=$(./mvnw -o -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=runtime)
value() { sed -n "s/.*\"$2\":{\"p50\":\([0-9.]*\).*/\1/p" <<<"$1"; }
echo "$(nproc) cores, $(java -version 2>&1 | head -1), $rows rows, $(uptime | sed 's/.*load average/load average/')"
for ((r = 1; r <= rounds; r++)); do
    out=$(java --add-modules=jdk.incubator.vector -Xms6g -Xmx6g -XX:+UseParallelGC \
        -cp "target/classes:target/test-classes:$libs" io.multimodalrag.search.SnapshotChanges "$rows" "$adds" 2>/dev/null)
    echo "round $r: $out"
    awk -v a="$(value "$out" addUs)" -v e="$(value "$out" addIntoEmptyUs)" -v f="$(value "$out" formerIndexRebuildUs)" \
        'BEGIN { printf "round %d: add into %d / into empty %.2f (goal: at most 2); former index rebuild per write %.0f us\n", '"$r"', '"$rows"', a / e, f }'
done
