#!/usr/bin/env bash
# The service's exact search, this tree against an earlier commit, on the same vectors, in one command.
#
#   bench/search/ab.sh [BASE_REV] [SIZES] [ROUNDS]       # defaults: 849b7d3, 10000,100000,1000000, 3
#
# Compiles BASE_REV in a git worktree under target/bench-search-ab (bench/lib/base-tree.sh), generates the
# vectors of bench/search/run.sh if missing (bench/search/baselines.py, fixed seeds; 2 GB at N = 1,000,000),
# and runs bench/search/SearchBenchmark.java for the base and for this tree in turn, ROUNDS times per N, each in a
# fresh JVM with the Vector API and transparent huge pages, with THREADS threads (default: all cores). Prints the
# medians of single queries and of batches of 64 (top 10), the ratio this tree ÷ base with the lowest and highest
# ratio of one round in brackets, and whether both returned the same ids.
set -euo pipefail
cd "$(dirname "$0")/../.."

base=${1:-849b7d3}
sizes=${2:-10000,100000,1000000}
rounds=${3:-3}
threads=${THREADS:-$(nproc)}
dir=target/bench-search
work=target/bench-search-ab
python=/usr/bin/python3

./mvnw -o -q compile
. bench/lib/base-tree.sh
base_tree "$work" "$base"
for tree in base this; do
    classes=target/classes
    [ "$tree" = base ] && classes=$work/base/target/classes
    mkdir -p "$work/$tree-bench"
    javac -nowarn -XDsuppressNotes --release 17 --add-modules jdk.incubator.vector -cp "$classes" \
        -d "$work/$tree-bench" bench/search/SearchBenchmark.java bench/search/StreamingRead.java 2>&1 | grep -v incubat || true
done
"$python" bench/search/baselines.py generate "$dir" "$sizes" 512 64
rm -f "$dir"/result-ab-*.json

echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads: $threads; $(java -version 2>&1 | head -1); base $base"
for rows in ${sizes//,/ }; do
    batch_runs=$(( rows >= 1000000 ? 3 : rows >= 100000 ? 10 : 30 ))
    for ((round = 1; round <= rounds; round++)); do
        for tree in base this; do
            classes=target/classes
            [ "$tree" = base ] && classes=$work/base/target/classes
            echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
            java --add-modules=jdk.incubator.vector -Xms6g -Xmx6g -XX:+UseParallelGC -XX:+UseTransparentHugePages \
                -cp "$classes:$work/$tree-bench" SearchBenchmark "$dir" "$rows" 512 "$threads" 32 "$batch_runs" \
                "ab-$tree" "$round" 2>&1 | grep -v '^WARNING: Using incubator'
        done
    done
done
"$python" - "$dir" "$sizes" <<'EOF'
import glob, json, os, re, sys
directory, sizes = sys.argv[1], [int(n) for n in sys.argv[2].split(",")]
runs = {}
for path in glob.glob(os.path.join(directory, "result-ab-*-r*.json")):
    tree, rows, round_ = re.fullmatch(r"result-ab-(\w+)-(\d+)-r(\d+)\.json", os.path.basename(path)).groups()
    runs.setdefault((tree, int(rows)), {})[int(round_)] = json.load(open(path))
median = lambda v: sorted(v)[len(v) // 2] if len(v) % 2 else (sorted(v)[len(v) // 2 - 1] + sorted(v)[len(v) // 2]) / 2
print()
print("| N | queries | base, ms | this tree, ms | this ÷ base | same ids |")
print("| --- | --- | --- | --- | --- | --- |")
for rows in sizes:
    base, this = runs[("base", rows)], runs[("this", rows)]
    for key, label in (("single", "1"), ("batch", "64")):
        b = [t for r in base.values() for t in r[key + "_ms"]]
        t = [t for r in this.values() for t in r[key + "_ms"]]
        per_round = [median(this[r][key + "_ms"]) / median(base[r][key + "_ms"]) for r in base if r in this]
        same = all(this[r][key + "_ids"] == base[1][key + "_ids"] for r in this)
        print("| {:,} | {} | {:.3g} | {:.3g} | {:.2f} [{:.2f}–{:.2f}] | {} |".format(
            rows, label, median(b), median(t), median(t) / median(b), min(per_round), max(per_round),
            "yes" if same else "NO"))
EOF
