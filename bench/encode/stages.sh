#!/usr/bin/env bash
# Decoding and preprocessing CPU per image, this tree against an earlier commit, in one command.
#
#   bench/encode/stages.sh [BASE_REV] [ROUNDS] [MODE]
#
# Compiles BASE_REV (default cd71ea9, before the Vector API resize and the lean JPEG/WebP paths) in a
# temporary git worktree under target/bench-stages, then runs bench/encode/PipelineStages.java over the demo
# images on one thread, alternating base and this tree, ROUNDS times (default 3), each in a fresh JVM with
# the Vector API module (as the container images start the service). MODE is alone (default: one thread, as under
# load; CPU per image) or lone (a helper thread, as a lone request gets; wall time per image). Prints each run and
# the ratios base ÷ this tree.
set -euo pipefail
cd "$(dirname "$0")/../.."

base=${1:-cd71ea9}
rounds=${2:-3}
mode=${3:-alone}
work=target/bench-stages
./mvnw -o -q compile
. bench/lib/base-tree.sh
base_tree "$work" "$base"
libs=$(./mvnw -o -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=runtime)
images=(image_database/*.jpg image_database/*.png image_database/*.webp)
value() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }
echo "$(nproc) cores, $(java -version 2>&1 | head -1), base $base, mode $mode, $(uptime | sed 's/.*load average/load average/')"
for ((r = 1; r <= rounds; r++)); do
    old=$(java --add-modules=jdk.incubator.vector -cp "$work/base/target/classes:$libs" bench/encode/PipelineStages.java 30 20 "$mode" "${images[@]}" 2>/dev/null)
    new=$(java --add-modules=jdk.incubator.vector -cp "target/classes:$libs" bench/encode/PipelineStages.java 30 20 "$mode" "${images[@]}" 2>/dev/null)
    echo "round $r base:      $old"
    echo "round $r this tree: $new"
    awk -v od="$(value "$old" decodeMs)" -v op="$(value "$old" preprocessMs)" -v nd="$(value "$new" decodeMs)" \
        -v np="$(value "$new" preprocessMs)" -v ojd="$(value "$old" jpegDecodeMs)" -v njd="$(value "$new" jpegDecodeMs)" \
        'BEGIN { printf "round %d: base / this tree: decode %.2f (JPEG %.2f), preprocess %.2f, both %.2f\n", '"$r"', od / nd, ojd / njd, op / np, (od + op) / (nd + np) }'
done
