#!/usr/bin/env bash
# What one append and one removal cost the search matrix, this tree against an earlier commit, in one command.
#
#   bench/matrix/run.sh [BASE_REV] [ROWS] [CHANGES] [ROUNDS]
#
# Compiles BASE_REV (default b9c9d39: one float[] copied whole by every change) in a temporary git worktree under
# target/bench-matrix, then runs bench/matrix/MatrixChanges.java on ROWS random rows of 512 dimensions (default
# 1,000,000: 2 GB; 6 GB of heap), alternating base and this tree, ROUNDS times (default 2), each in a fresh JVM.
# Prints each run and the ratios base ÷ this tree, and this tree's append into 1M ÷ into an empty matrix.
set -euo pipefail
cd "$(dirname "$0")/../.."

base=${1:-b9c9d39}
rows=${2:-1000000}
changes=${3:-20}
rounds=${4:-2}
work=target/bench-matrix
./mvnw -o -q compile
. bench/lib/base-tree.sh
base_tree "$work" "$base"
run() { java --add-modules=jdk.incubator.vector -Xms6g -Xmx6g -XX:+UseParallelGC -cp "$1" bench/matrix/MatrixChanges.java \
    "$rows" 512 "$changes" 2> >(grep -v -e incubat -e "^1 warning" >&2); }
value() { sed -n "s/.*\"$2\":{\"p50\":\([0-9.]*\).*/\1/p" <<<"$1"; }
echo "$(nproc) cores, $(java -version 2>&1 | head -1), base $base, $rows rows, $(uptime | sed 's/.*load average/load average/')"
for ((r = 1; r <= rounds; r++)); do
    old=$(run "$work/base/target/classes")
    new=$(run target/classes)
    echo "round $r base:      $old"
    echo "round $r this tree: $new"
    awk -v oa="$(value "$old" appendUs)" -v orm="$(value "$old" removeUs)" -v na="$(value "$new" appendUs)" \
        -v nr="$(value "$new" removeUs)" -v ne="$(value "$new" appendIntoEmptyUs)" \
        'BEGIN { printf "round %d: base / this tree: append %.0f, remove %.0f; this tree: append into %d rows / into empty %.2f\n", '"$r"', oa / na, orm / nr, '"$rows"', na / ne }'
done
