#!/usr/bin/env bash
# Decode + preprocess of this tree against an earlier commit, both in one JVM, image by image (StagesAb.java).
#
#   bench/encode/stages-ab.sh [BASE_REV] [ROUNDS] [MODE]
#
# Compiles BASE_REV (default bb5f0ee, before issue 17) in a worktree under target/bench-stages, then runs
# bench/encode/StagesAb.java over the demo JPEGs ROUNDS times (default 3), 20 unmeasured then 20 measured passes
# each, with the Vector API module. MODE: alone (default; one thread, CPU per image) or lone (a helper thread; wall).
set -euo pipefail
cd "$(dirname "$0")/../.."

base=${1:-bb5f0ee}
rounds=${2:-3}
mode=${3:-alone}
work=target/bench-stages
./mvnw -o -q compile
. bench/lib/base-tree.sh
base_tree "$work" "$base"
libs=$(./mvnw -o -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=runtime)
echo "$(nproc) cores, $(java -version 2>&1 | head -1), base $base, mode $mode, $(uptime | sed 's/.*load average/load average/')"
for ((r = 1; r <= rounds; r++)); do
    java --add-modules=jdk.incubator.vector -cp "$libs" bench/encode/StagesAb.java "$work/base/target/classes" \
        target/classes 20 20 "$mode" image_database/*.jpg 2>/dev/null
done
