#!/usr/bin/env bash
# The time of an ask with an LLM that answers at once: this tree ("after") against BASE ("before", default bb5f0ee),
# the same packaged service, model, knowledge base and photos, in one command.
#
#   bench/ask/run.sh                                        # tiny test model, k = 3, 2 rounds of 60 asks
#   MODEL=target/models/vit-b32-random N=100 bench/ask/run.sh
#   MAX_SIDE=512 bench/ask/run.sh                           # every demo image downscaled and re-encoded
#
# Each version is packaged (BASE in a git worktree under target/bench-ask/), then for each round started afresh on
# the demo knowledge base (description.jsonl, image_database/; embedding cache warmed by a first start) with
# quarkus.rest-client.vision-llm.url at AskBenchmark's stub, which answers every chat completion at once; WARMUP
# asks, then N counted ones, sequential, the photos the demo images in turn (each photo is in the knowledge base,
# so its first reference is the photo itself, named but not sent again; k = 3 leaves two images to send).
# Prints the medians and p90 of the service's tookMs and of the client's latency per version, the ratio
# after ÷ before, the mean request size the stub received, and the load average. Only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/../.."

model=${MODEL:-src/test/resources/clip-tiny}
base=${BASE:-bb5f0ee}
k=${K:-3}
n=${N:-60}
warmup=${WARMUP:-30}
rounds=${ROUNDS:-2}
port=${BENCH_PORT:-18090}
max_side=${MAX_SIDE:-1024}
work=target/bench-ask
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
mkdir -p "$work"
model=$(realpath "$model")

if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is already in use; stop that process or set BENCH_PORT" >&2; exit 1
fi
./mvnw -o -q package -DskipTests -Dquarkus.package.jar.type=fast-jar
if [ ! -f "$work/base/target/quarkus-app/quarkus-run.jar" ] || [ "$(cat "$work/base-rev" 2>/dev/null)" != "$base" ]; then
    rm -rf "$work/base"; git worktree prune
    git worktree add -q --detach "$work/base" "$base"
    (cd "$work/base" && ./mvnw -o -q package -DskipTests -Dquarkus.package.jar.type=fast-jar)
    echo "$base" >"$work/base-rev"
fi
jar_of() { if [ "$1" = before ]; then echo "$work/base/target/quarkus-app/quarkus-run.jar"; else echo target/quarkus-app/quarkus-run.jar; fi; }

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
rm -f "$work/stub-port"
"$java" bench/ask/AskBenchmark.java stub "$work/stub-port" >"$work/stub.log" 2>&1 &
pids+=($!)
until [ -s "$work/stub-port" ]; do sleep 0.1; done
stub="http://127.0.0.1:$(cat "$work/stub-port")/v1"

svc=
start() { # version
    "$java" -Dquarkus.http.port="$port" -Drag.model.dir="$model" -Drag.model.download.enabled=false \
        -Drag.knowledge-base.cache-dir="$work/cache-$1" -Drag.llm.api-key=bench -Drag.llm.image-max-side="$max_side" \
        -Dquarkus.rest-client.vision-llm.url="$stub" -Dquarkus.log.level=WARN \
        -jar "$(jar_of "$1")" >"$work/service-$1.log" 2>&1 &
    svc=$!
    pids+=($svc)
    until curl -sf "http://127.0.0.1:$port/q/health/ready" >/dev/null; do
        kill -0 "$svc" 2>/dev/null || { echo "service died; log:" >&2; tail -20 "$work/service-$1.log" >&2; exit 1; }
        sleep 0.1
    done
}
stop() { kill "$svc"; wait "$svc" 2>/dev/null || true; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

images=(image_database/*.jpg image_database/*.png image_database/*.webp)
echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $("$java" -version 2>&1 | head -1)"
echo "model: $model; before: $base, after: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + changes');" \
    "k = $k, image-max-side = $max_side, $warmup warm-up + $n asks per round, $rounds rounds, ${#images[@]} photos"
results=$(mktemp)
for version in before after; do start "$version"; stop; done   # embeds the knowledge base into each cache once
for ((round = 1; round <= rounds; round++)); do
    for version in before after; do
        echo "round $round, $version: load average $(load)"
        start "$version"
        from=$(wc -l <"$work/stub.log")
        "$java" bench/ask/AskBenchmark.java ask "http://127.0.0.1:$port/v1/ask" "$k" "$warmup" "$n" "${images[@]}" \
            | sed -n "s/^RESULT /$version /p" | tee -a "$results"
        tail -n +"$((from + 1))" "$work/stub.log" | awk -v v="$version" '$1 == "request" { s += $3; c++ }
            END { printf "  %s: mean request to the LLM %.0f KB\n", v, s / c / 1024 }'
        stop
    done
done
median() { # version, column: the median over rounds
    awk -v v="$1" -v c="$2" '$1 == v { print $c }' "$results" | sort -n \
        | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
for what in "tookMs p50:2" "latency p50:4"; do
    b=$(median before "${what#*:}"); a=$(median after "${what#*:}")
    awk -v w="${what%:*}" -v b="$b" -v a="$a" \
        'BEGIN { printf "%s, median of rounds: before %.1f ms, after %.1f ms, after/before %.2f\n", w, b, a, (b > 0 ? a / b : 0) }'
done
echo "load average at the end: $(load)"
