#!/usr/bin/env bash
# Warm start-up to ready with a large knowledge base, and resident memory after loading.
#
#   bench/startup/run.sh [MODEL_DIR] [ENTRIES] [RUNS]
#
# Seeds (once) a knowledge base of ENTRIES (default 10,000) generated images and a warm embedding
# cache for each variant's vision tower (bench/startup/SeedKnowledgeBase.java), then, per variant
# (fp32, int8), starts the packaged service RUNS times (default 3) and prints the time from launch
# to /q/health/ready UP, VmRSS and VmHWM once ready, and issue 6's memory budget:
# 1.5 × model files + 1.1 × embedding matrix + 400 MB. Only 127.0.0.1
# is contacted. Extra JVM options (e.g. a heap limit) go in BENCH_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/../.."

model=${1:-target/models/vit-b32-random}
entries=${2:-10000}
runs=${3:-3}
port=${BENCH_PORT:-18082}
jar=target/quarkus-app/quarkus-run.jar
work=target/bench-startup
[ -f "$jar" ] || ./mvnw -q package -DskipTests
[ -f "$model/vision_model_quantized.onnx" ] || /usr/bin/python3 tools/quantize_vision.py "$model/vision_model.onnx"
read -r -a java_opts <<<"${BENCH_JAVA_OPTS:-}"
if java -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then java_opts+=(--enable-native-access=ALL-UNNAMED); fi
cp="target/classes:target/quarkus-app/lib/main/*:target/quarkus-app/lib/boot/*"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null' EXIT
now() { date +%s.%N; }
kib() { awk -v k="$1" '/^'"$1"':/ { print $2 }' "/proc/$2/status"; }

echo "model: $model, $entries entries, $(nproc) cores, $(java -version 2>&1 | head -1), $(uptime | sed 's/.*load average/load average/')"
for variant in fp32 int8; do
    vision=$model/vision_model.onnx
    [ "$variant" = int8 ] && vision=$model/vision_model_quantized.onnx
    kb=$work/kb-$entries
    if [ ! -f "$work/seeded-$variant-$entries" ]; then
        java -cp "$cp" bench/startup/SeedKnowledgeBase.java "$kb" "$work/cache" "$vision" "$entries"
        touch "$work/seeded-$variant-$entries"
    fi
    model_bytes=$(( $(stat -c %s "$vision") + $( [ -f "$model/text_model.onnx" ] && stat -c %s "$model/text_model.onnx" || echo 0) ))
    for ((r = 1; r <= runs; r++)); do
        log=$work/service-$variant-$r.log
        # Another service on the port would answer the readiness polls in this one's place.
        if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
            echo "port $port is already in use; set BENCH_PORT to a free one" >&2
            exit 1
        fi
        t0=$(now)
        java "${java_opts[@]}" -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" -Drag.model.dir="$model" \
            -Drag.model.variant="$variant" -Drag.model.download.enabled=false \
            -Drag.knowledge-base.descriptions="$kb/description.jsonl" -Drag.knowledge-base.images-dir="$kb/images" \
            -Drag.knowledge-base.cache-dir="$work/cache" -jar "$jar" >"$log" 2>&1 &
        pid=$!
        until curl -sf "http://127.0.0.1:$port/q/health/ready" >/dev/null; do
            kill -0 "$pid" 2>/dev/null || { echo "service died; log:" >&2; tail -20 "$log" >&2; exit 1; }
            sleep 0.02
        done
        elapsed=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
        rss=$(kib VmRSS "$pid"); hwm=$(kib VmHWM "$pid")
        ready=$(grep -o 'knowledge base ready: [0-9]* entries ([0-9]* embedded now' "$log" | tail -1 || true)
        awk -v v="$variant" -v r="$r" -v e="$elapsed" -v rss="$rss" -v hwm="$hwm" -v m="$model_bytes" -v n="$entries" \
            -v ready="$ready" 'BEGIN {
            budget = 1.5 * m / 1048576 + 1.1 * n * 512 * 4 / 1048576 + 400
            printf "%s run %d: ready in %s s (target <= 5: %s); VmRSS %.0f MiB, VmHWM %.0f MiB; budget 1.5 x %.0f MiB model files + 1.1 x %.1f MiB matrix + 400 = %.0f MiB: %s; %s)\n",
                v, r, e, (e <= 5) ? "met" : "missed", rss / 1024, hwm / 1024, m / 1048576, n * 2048 / 1048576, budget,
                (hwm / 1024 <= budget) ? "met" : "missed", ready }'
        kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    done
done
