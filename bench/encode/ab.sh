#!/usr/bin/env bash
# The service's encoding against raw ONNX Runtime, this tree and an earlier commit side by side, in one command.
#
#   bench/encode/ab.sh [BASE_REV] [VARIANTS] [ROUNDS] [SECONDS_PER_LEVEL]   # defaults: 849b7d3, "fp32 int8", 3, 20
#
# Packages BASE_REV in a git worktree under target/bench-encode-ab and this tree, then per variant starts both
# services at once on 127.0.0.1 (ports BENCH_PORT and BENCH_PORT+1) with the same model file, warms each in turn
# with BENCH_WARMUP seconds (default 120) of unmeasured load at concurrency 4 and 1 (bench/encode/run.sh explains
# why), and measures ROUNDS rounds, each: raw onnxruntime-node at batch 1, the base and this tree at concurrency 1,
# raw batch 8, the base and this tree at concurrency 16; the order of the two trees alternates from round to round.
# An idle service spends no CPU, so each measurement has the machine to itself. Prints, per variant and tree, the
# medians over rounds of c16 images/s ÷ raw batch 8 and c1 p50 ÷ raw batch 1 p50 (with the range), and this ÷ base.
# Needs what bench/encode/run.sh makes (the full-size random model, its int8 tower, onnxruntime-node).
set -euo pipefail
cd "$(dirname "$0")/../.."

base=${1:-849b7d3}
variants=${2:-fp32 int8}
rounds=${3:-3}
seconds=${4:-20}
model=${MODEL:-target/models/vit-b32-random}
threads=${BENCH_THREADS:-$(nproc)}
port=${BENCH_PORT:-18083}
work=target/bench-encode-ab
node_dir=target/bench-node

[ -f "$model/vision_model_quantized.onnx" ] && [ -d "$node_dir/node_modules/onnxruntime-node" ] \
    || { echo "run bench/encode/run.sh once first: it makes the model, its int8 tower and onnxruntime-node" >&2; exit 1; }
export ORT_NODE_DIR=$PWD/$node_dir/node_modules
./mvnw -q package -DskipTests -Dquarkus.package.jar.type=fast-jar
if [ ! -f "$work/base/target/quarkus-app/quarkus-run.jar" ] || [ "$(cat "$work/base-rev" 2>/dev/null)" != "$base" ]; then
    rm -rf "$work"; git worktree prune; mkdir -p "$work"
    git worktree add -q --detach "$work/base" "$base"
    (cd "$work/base" && ./mvnw -q package -DskipTests -Dquarkus.package.jar.type=fast-jar)
    echo "$base" >"$work/base-rev"
fi
java_opts=(--add-modules=jdk.incubator.vector)
if java -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then java_opts+=(--enable-native-access=ALL-UNNAMED); fi
images=(image_database/*.jpg image_database/*.png image_database/*.webp)
json() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
declare -A port_of=([base]=$port [this]=$((port + 1)))
declare -A jar_of=([base]=$work/base/target/quarkus-app/quarkus-run.jar [this]=target/quarkus-app/quarkus-run.jar)
url() { echo "http://127.0.0.1:${port_of[$1]}/v1/embeddings/image"; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
results=$(mktemp)

echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, intra-op threads $threads, $(java -version 2>&1 | head -1)"
echo "model: $model; base $base, this $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + changes')"
for variant in $variants; do
    file=$model/vision_model.onnx
    [ "$variant" = int8 ] && file=$model/vision_model_quantized.onnx
    pids=()
    for tree in base this; do
        if curl -s -o /dev/null "http://127.0.0.1:${port_of[$tree]}/"; then
            echo "port ${port_of[$tree]} is already in use; stop that process or set BENCH_PORT" >&2; exit 1
        fi
        java "${java_opts[@]}" -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="${port_of[$tree]}" \
            -Drag.model.dir="$model" -Drag.model.variant="$variant" -Drag.model.intra-op-threads="$threads" \
            -Drag.model.download.enabled=false -Drag.knowledge-base.cache-dir="$work/cache-$tree" \
            -Dquarkus.log.level=WARN -jar "${jar_of[$tree]}" >"$work/service-$tree-$variant.log" 2>&1 &
        pids+=($!)
        until curl -sf "http://127.0.0.1:${port_of[$tree]}/q/health/ready" >/dev/null; do
            kill -0 "${pids[-1]}" 2>/dev/null || { echo "$tree died:" >&2; tail -20 "$work/service-$tree-$variant.log" >&2; exit 1; }
            sleep 0.2
        done
    done
    for tree in base this; do
        for ((warmed = 0; warmed < ${BENCH_WARMUP:-120}; warmed += 30)); do
            java bench/encode/LoadGenerator.java "$(url "$tree")" $((warmed / 30 % 2 == 0 ? 4 : 1)) 100000 30 4 "${images[@]}" >/dev/null
        done
    done
    for ((round = 1; round <= rounds; round++)); do
        order=(base this); ((round % 2 == 0)) && order=(this base)
        echo "$variant round $round (${order[*]}), load average $(load)"
        raw1=$(node bench/encode/raw-ort.mjs "$file" 1 "$threads" "$((seconds / 2))")
        for tree in "${order[@]}"; do
            c1=$(java bench/encode/LoadGenerator.java "$(url "$tree")" 1 2000 "$seconds" 50 "${images[@]}")
            echo "  $tree c1: $c1"
            echo "$variant $tree c1 $(json "$c1" p50) $(json "$raw1" p50)" >>"$results"
        done
        raw8=$(node bench/encode/raw-ort.mjs "$file" 8 "$threads" "$((seconds / 2))")
        for tree in "${order[@]}"; do
            c16=$(java bench/encode/LoadGenerator.java "$(url "$tree")" 16 2000 "$seconds" 160 "${images[@]}")
            echo "  $tree c16: $c16"
            echo "$variant $tree c16 $(json "$c16" imagesPerSecond) $(json "$raw8" imagesPerSecond)" >>"$results"
        done
        echo "  raw batch 1: $raw1"
        echo "  raw batch 8: $raw8"
    done
    for p in "${pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
done
echo "load at the end: $(load)"
echo
echo "| variant | measure | base ÷ raw (range) | this ÷ raw (range) | this ÷ base |"
echo "| --- | --- | --- | --- | --- |"
awk '{ r[$1" "$3" "$2] = r[$1" "$3" "$2] " " ($4 / $5); order[$1" "$3] = 1 }
function med(list,   v, n, i, j, t) { n = split(list, v, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    lo = v[1]; hi = v[n]; return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
END { for (k in order) { split(k, p, " ")
        b = med(r[k" base"]); blo = lo; bhi = hi; t = med(r[k" this"])
        label = p[2] == "c1" ? "c1 p50 / raw batch 1 p50" : "c16 images/s / raw batch 8 images/s"
        printf "| %s | %s | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.3f |\n", p[1], label, b, blo, bhi, t, lo, hi, t / b } }' \
    "$results" | sort
