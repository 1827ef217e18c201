#!/usr/bin/env bash
# The postgresql store against the files store, on the same knowledge base, in one command:
#
#   bench/replicas/run.sh [MODEL_DIR] [ENTRIES] [RUNS] [PROBES]
#
# 1. Seeds (once per ENTRIES) ENTRIES generated images with a warm embedding cache
#    (bench/startup/SeedKnowledgeBase.java, shared with bench/startup), a PostgreSQL cluster of its
#    own (target/bench-replicas/pg, initdb + pg_ctl, as the postgres user under root), and imports
#    the knowledge base into a database of it through the service itself
#    (rag.knowledge-base.import-from, embeddings taken from the cache); prints the import's time.
# 2. RUNS rounds, interleaved: the time from launch to /q/health/ready UP, and VmRSS/VmHWM once ready,
#    of the files store with its warm cache, and of a new replica of the postgresql store (stored
#    vectors, an empty cache folder as a new pod's emptyDir has: the vision tower is hashed).
# 3. Re-embedding instead: the vision tower's images/s at start-up on 64 of the images with an empty
#    cache, and ENTRIES divided by it.
# 4. Cross-replica visibility: two postgresql replicas, PROBES adds through one (bench/replicas/
#    Visibility.java), p50/p99 of the time from the 201 to the other answering 200 for the entry.
#    The probes are deleted from the database afterwards.
# Only 127.0.0.1 is contacted. Extra JVM options go in BENCH_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/../.."

model=${1:-target/models/vit-b32-random}
entries=${2:-100000}
runs=${3:-3}
probes=${4:-200}
port=${BENCH_PORT:-18083}
port_b=$((port + 1))
pg_port=${BENCH_PG_PORT:-15433}
jar=target/quarkus-app/quarkus-run.jar
work=$PWD/target/bench-replicas
seed=target/bench-startup
kb=$seed/kb-$entries
database=rag_$entries
token=bench-replicas-token
[ -f "$jar" ] || ./mvnw -q package -DskipTests
read -r -a java_opts <<<"${BENCH_JAVA_OPTS:-}"
if java -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then java_opts+=(--enable-native-access=ALL-UNNAMED); fi
cp="target/classes:target/quarkus-app/lib/main/*:target/quarkus-app/lib/boot/*"
pg_bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
mkdir -p "$work"

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
now() { date +%s.%N; }
kib() { awk -v k="$1" '/^'"$1"':/ { print $2 }' "/proc/$2/status"; }
pids=()
stop_all() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    pids=()
}
trap 'stop_all; as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -m fast stop >/dev/null 2>&1 || true' EXIT

# start NAME PORT STORE [extra -D options…]: launches the service in the background; sets $pid and $t0.
start() {
    local name=$1 p=$2 store=$3
    shift 3
    if curl -s -o /dev/null "http://127.0.0.1:$p/"; then
        echo "port $p is already in use; set BENCH_PORT to a free one" >&2
        exit 1
    fi
    local options=(-Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$p" -Drag.model.dir="$model"
        -Drag.model.download.enabled=false -Drag.admin.token="$token" -Drag.knowledge-base.store="$store")
    if [ "$store" = postgresql ]; then
        options+=(-Dquarkus.datasource.jdbc.url="jdbc:postgresql://127.0.0.1:$pg_port/$database"
            -Dquarkus.datasource.username=postgres)
    fi
    t0=$(now)
    java "${java_opts[@]}" "${options[@]}" "$@" -jar "$jar" >"$work/$name.log" 2>&1 &
    pid=$!
    pids+=("$pid")
}

# ready NAME PORT: waits for readiness; sets $elapsed (s since $t0).
ready() {
    until curl -sf "http://127.0.0.1:$2/q/health/ready" >/dev/null; do
        kill -0 "$pid" 2>/dev/null || { echo "$1 died; log:" >&2; tail -20 "$work/$1.log" >&2; exit 1; }
        sleep 0.02
    done
    elapsed=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
}

echo "model: $model, $entries entries, $(nproc) cores, $(java -version 2>&1 | head -1), PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), $(uptime | sed 's/.*load average/load average/')"

# 1. Seeding.
if [ ! -f "$seed/seeded-fp32-$entries" ]; then
    java -cp "$cp" bench/startup/SeedKnowledgeBase.java "$kb" "$seed/cache" "$model/vision_model.onnx" "$entries"
    touch "$seed/seeded-fp32-$entries"
fi
if [ ! -d "$work/pg/data" ]; then
    mkdir -p "$work/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$work/pg"
    as_postgres "$pg_bin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
fi
as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" status >/dev/null 2>&1 ||
    as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w \
        -o "-p $pg_port -c listen_addresses=127.0.0.1 -k $work/pg" start >/dev/null
psql=("$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qAt)
if [ ! -f "$work/seeded-pg-$entries" ]; then
    "${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
    start import "$port" postgresql -Drag.knowledge-base.import-from="$kb/description.jsonl" \
        -Drag.knowledge-base.cache-dir="$seed/cache"
    ready import "$port"
    stop_all
    grep -o 'imported .* skipped' "$work/import.log" | sed 's/^/seed: /'
    echo "seed: the import and start-up took $elapsed s"
    touch "$work/seeded-pg-$entries"
fi
echo "database: $("${psql[@]}" -d "$database" -c "SELECT count(*) || ' entries, ' || pg_size_pretty(pg_database_size(current_database())) FROM kb_entry")"

# 2. Time to ready, interleaved.
for ((r = 1; r <= runs; r++)); do
    start files-$r "$port" files -Drag.knowledge-base.descriptions="$kb/description.jsonl" \
        -Drag.knowledge-base.images-dir="$kb/images" -Drag.knowledge-base.cache-dir="$seed/cache"
    ready files-$r "$port"
    files_s=$elapsed; files_rss=$(kib VmRSS "$pid"); files_hwm=$(kib VmHWM "$pid")
    files_line=$(grep -o 'knowledge base ready: [0-9]* entries' "$work/files-$r.log" | tail -1)
    stop_all
    rm -rf "$work/new-pod-cache"
    start postgresql-$r "$port" postgresql -Drag.knowledge-base.cache-dir="$work/new-pod-cache"
    ready postgresql-$r "$port"
    pg_s=$elapsed; pg_rss=$(kib VmRSS "$pid"); pg_hwm=$(kib VmHWM "$pid")
    pg_line=$(grep -o 'knowledge base ready: [0-9]* entries .*embedded now' "$work/postgresql-$r.log" | tail -1)
    stop_all
    awk -v r="$r" -v f="$files_s" -v p="$pg_s" -v fr="$files_rss" -v fh="$files_hwm" -v pr="$pg_rss" -v ph="$pg_hwm" \
        -v fl="$files_line" -v pl="$pg_line" 'BEGIN {
        printf "round %d: files store (warm cache) ready in %s s, VmRSS %.0f MiB, VmHWM %.0f MiB (%s)\n", r, f, fr / 1024, fh / 1024, fl
        printf "round %d: postgresql store (new replica) ready in %s s (goal <= 15: %s; %.2f x the files store), VmRSS %.0f MiB, VmHWM %.0f MiB (%s)\n",
            r, p, (p <= 15) ? "met" : "missed", p / f, pr / 1024, ph / 1024, pl }'
done

# 3. Re-embedding, extrapolated from the tower's measured rate.
mkdir -p "$work/kb-64"
head -64 "$kb/description.jsonl" >"$work/kb-64/description.jsonl"
ln -sfn "$PWD/$kb/images" "$work/kb-64/images"
rm -rf "$work/cold-cache"
start cold "$port" files -Drag.knowledge-base.descriptions="$work/kb-64/description.jsonl" \
    -Drag.knowledge-base.images-dir=images -Drag.knowledge-base.cache-dir="$work/cold-cache"
ready cold "$port"
stop_all
rate=$(grep -o 'embedded 64/64 images ([0-9.]* images/s)' "$work/cold.log" | grep -o '[0-9.]* images/s' | cut -d' ' -f1)
awk -v n="$entries" -v rate="$rate" 'BEGIN {
    printf "re-embedding instead: %s images/s on %s cores at start-up (64 images, cold cache): %d entries would take %.0f s (%.1f min)\n",
        rate, "'"$(nproc)"'", n, n / rate, n / rate / 60 }'

# 4. Cross-replica visibility (PROBES=0 skips it).
[ "$probes" -gt 0 ] || exit 0
start a "$port" postgresql -Drag.knowledge-base.cache-dir="$work/replica-a"
ready a "$port"
start b "$port_b" postgresql -Drag.knowledge-base.cache-dir="$work/replica-b"
ready b "$port_b"
java bench/replicas/Visibility.java "http://127.0.0.1:$port" "http://127.0.0.1:$port_b" "$token" "$probes"
stop_all
"${psql[@]}" -d "$database" -c "DELETE FROM kb_entry WHERE description LIKE 'visibility probe %'" \
    -c "DELETE FROM kb_image i WHERE NOT EXISTS (SELECT 1 FROM kb_entry e WHERE e.content_hash = i.content_hash)"
