#!/usr/bin/env bash
# One add to the embedding cache, and the heap an opened cache holds: the format-1 EmbeddingCache
# ("before": rewrites the whole file on every save, keeps every vector in a map) against this tree's
# ("after": appends one record, keeps hash → offset), in one command.
#
#   bench/cache/run.sh                     # N = 10,000 and 100,000; about 2 minutes, 1 GB of disk
#   SIZES=10000 ADDS=50 ROUNDS=1 bench/cache/run.sh
#
# The old class is taken from `git show ${BASE:-487532d}:…/EmbeddingCache.java` (the last format-1 version), compiled into
# target/bench-cache/before/ and put ahead of target/classes on the classpath. For each N and round, each
# version gets a fresh process that seeds a cache of N random 512-dimension vectors (in its own format),
# then a fresh process that opens it and times ADDS single adds (put + save, after 3 unmeasured ones),
# then (N = 10,000 only) three fresh processes that each measure the heap after opening it (serial GC,
# after System.gc(); the median is reported). Files go to target/bench-cache/ (DIR overrides; it should be on the disk being measured).
# Prints medians, the ratio before ÷ after, and the load average, since other work disturbs timings.
set -euo pipefail
cd "$(dirname "$0")/../.."

sizes=${SIZES:-10000,100000}
adds=${ADDS:-20}
rounds=${ROUNDS:-2}
base=${BASE:-487532d}
work=target/bench-cache
dir=${DIR:-$work/data}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
javac=${JAVA_HOME:+$JAVA_HOME/bin/}javac

./mvnw -o -q compile
logging=$(find "${MAVEN_REPO:-$HOME/.m2/repository}/org/jboss/logging/jboss-logging" -name 'jboss-logging-*.jar' | sort | tail -1)
rm -rf "$work/before" "$work/driver" "$work/before-src"
mkdir -p "$work/before-src/io/multimodalrag/search" "$work/before" "$work/driver" "$dir"
git show "$base:src/main/java/io/multimodalrag/search/EmbeddingCache.java" \
    >"$work/before-src/io/multimodalrag/search/EmbeddingCache.java"
"$javac" -nowarn --release 17 -cp "target/classes:$logging" -d "$work/before" \
    "$work/before-src/io/multimodalrag/search/EmbeddingCache.java"
"$javac" -nowarn --release 17 -cp "target/classes:$logging" -d "$work/driver" bench/cache/CacheBenchmark.java
classpath() { # the version's EmbeddingCache first
    if [ "$1" = before ]; then echo "$work/before:target/classes:$logging:$work/driver"; else echo "target/classes:$logging:$work/driver"; fi
}
run() { # version, args...
    local version=$1; shift
    "$java" -Xmx2g -XX:+UseSerialGC -cp "$(classpath "$version")" CacheBenchmark "$@" >"$work/out" 2>"$work/log" \
        || { cat "$work/log" >&2; exit 1; }
    sed -n "s/^RESULT /$version /p" "$work/out"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $("$java" -version 2>&1 | head -1); $(df -T "$dir" | awk 'NR == 2 { print $2 " on " $1 }')"
echo "before: $base ($(git rev-parse --short "$base")), after: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + changes'); adds per process: $adds; rounds: $rounds"
results=$(mktemp)
for n in ${sizes//,/ }; do
    for ((round = 1; round <= rounds; round++)); do
        for version in before after; do
            echo "N = $n, round $round, $version: load average $(load)"
            run "$version" seed "$dir/$version-$n" "$n"
            ls -l "$dir/$version-$n" | awk 'NR > 1 { print "  file: " $5 " bytes" }'
            if (( n == 10000 )); then
                for _ in 1 2 3; do run "$version" heap "$dir/$version-$n" "$n" | tee -a "$results"; done
            fi
            run "$version" add "$dir/$version-$n" "$n" "$adds" | tee -a "$results"
        done
    done
    rm -rf "$dir/before-$n" "$dir/after-$n"
done
echo "load average at the end: $(load)"
echo
# Per N: the median of the rounds' medians, and before ÷ after.
awk '
    { v[$2 " " $3 " " $1] = v[$2 " " $3 " " $1] " " $4; keys[$2 " " $3] = 1 }
    function median(list,   a, k, i, j, t) {
        k = split(list, a, " ")
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    END {
        printf "%-14s %8s %12s %12s %10s   %s\n", "measure", "N", "before", "after", "ratio", "(rounds: before | after)"
        for (key in keys) {
            split(key, part, " ")
            b = median(v[key " before"]); a = median(v[key " after"])
            printf "%-14s %8d %12.3f %12.3f %10.1f   (%s |%s)\n", part[1], part[2], b, a, (a > 0 ? b / a : 0), v[key " before"], v[key " after"]
        }
    }' "$results" | sort -k2,2n -k1,1
rm -f "$results"
