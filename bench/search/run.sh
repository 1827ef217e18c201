#!/usr/bin/env bash
# Exact search of the service against numpy and FAISS, in one command, on the same vectors.
#
#   apt-get install python3-numpy python3-faiss      # Debian's, used through /usr/bin/python3
#   bench/search/run.sh                              # N = 10,000, 100,000 and 1,000,000; about 12 minutes
#   SIZES=10000,100000 THREADS=1 ROUNDS=1 bench/search/run.sh
#
# Generates random unit vectors of 512 dimensions once, with fixed seeds, into target/bench-search/
# (2 GB for N = 1,000,000), plus 64 queries. For each N, one process after another, each holding one
# copy of the matrix: the service's search with the Vector API (java --add-modules=jdk.incubator.vector),
# the same without the module (scalar kernel), both with transparent huge pages (and, at N = 1,000,000, the
# Vector API once more without them), numpy (matrix @ query + argpartition, on OpenBLAS) and
# FAISS (IndexFlatIP), all with THREADS threads (default: all cores), in ROUNDS rounds (default 3). Each
# times the top 10 of single queries (SINGLE_RUNS of them) and of batches of 64, after warm-up, and records
# the ids. The Java driver also measures the memory-bandwidth floor between its single queries. Prints the
# tables of docs/BENCHMARKS.md, and the load average before each process, since other work on the machine
# disturbs the timings.
set -euo pipefail
cd "$(dirname "$0")/../.."

sizes=${SIZES:-10000,100000,1000000}
threads=${THREADS:-$(nproc)}
single_runs=${SINGLE_RUNS:-32}
rounds=${ROUNDS:-3}
dimensions=512
dir=target/bench-search
python=/usr/bin/python3
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
javac=${JAVA_HOME:+$JAVA_HOME/bin/}javac

"$python" -c 'import numpy, faiss' 2>/dev/null \
    || { echo "needs Debian's python3-numpy and python3-faiss: apt-get install python3-numpy python3-faiss" >&2; exit 1; }
./mvnw -o -q compile
mkdir -p "$dir/classes"
"$javac" -nowarn -XDsuppressNotes --release 17 --add-modules jdk.incubator.vector -cp target/classes \
    -d "$dir/classes" bench/search/*.java 2>&1 | grep -v 'incubat' || true
"$python" bench/search/baselines.py generate "$dir" "$sizes" "$dimensions" 64

# Room for one matrix (2 GB at N = 1,000,000) and the JVM's own needs; one copy per process. Transparent huge
# pages for the heap, because numpy (1.22 and later) asks the kernel for them on its large arrays by itself; the
# 4 KB-page run at N = 1,000,000 shows what they are worth.
java_opts=(-Xms4g -Xmx4g -XX:+UseParallelGC -cp "target/classes:$dir/classes")
huge_pages=(-XX:+UseTransparentHugePages)
load() { echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }

echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads: $threads; rounds: $rounds; $("$java" -version 2>&1 | head -1)"
rm -f "$dir"/result-*.json
for rows in ${sizes//,/ }; do
    batch_runs=$(( rows >= 1000000 ? 3 : rows >= 100000 ? 10 : 30 ))
    args=("$dir" "$rows" "$dimensions" "$threads" "$single_runs" "$batch_runs")
    # Rounds of every engine in turn, so that a spell of load from elsewhere falls on all of them alike.
    for ((round = 1; round <= rounds; round++)); do
        load; "$java" --add-modules=jdk.incubator.vector "${java_opts[@]}" "${huge_pages[@]}" SearchBenchmark \
            "${args[@]}" java-vector "$round" 2>&1 | grep -v '^WARNING: Using incubator'
        if (( rows >= 1000000 )); then  # what the huge pages are worth, with its own floor
            load; "$java" --add-modules=jdk.incubator.vector "${java_opts[@]}" SearchBenchmark \
                "${args[@]}" java-vector-4k-pages "$round" 2>&1 | grep -v '^WARNING: Using incubator'
        fi
        load; "$java" "${java_opts[@]}" "${huge_pages[@]}" SearchBenchmark "${args[@]}" java-scalar "$round"
        for engine in numpy faiss; do
            load; OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
                "$python" bench/search/baselines.py "$engine" "${args[@]}" "$round"
        done
    done
done
load
echo
"$python" bench/search/report.py "$dir" "$sizes" "$dimensions"
