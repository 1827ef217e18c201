#!/usr/bin/python3
"""Test vectors and the two baselines of the exact-search benchmark (bench/search/run.sh runs all of it).

    baselines.py generate DIR ROWS[,ROWS...] DIMENSIONS QUERIES
        writes DIR/vectors-ROWS.f32 (random unit vectors, float32 little-endian, row-major) and
        DIR/queries.f32, from fixed seeds; files already there with the right size are kept
    baselines.py numpy DIR ROWS DIMENSIONS THREADS SINGLE_RUNS BATCH_RUNS ROUND
    baselines.py faiss DIR ROWS DIMENSIONS THREADS SINGLE_RUNS BATCH_RUNS ROUND
        time the top 10 of one query at a time, then of batches of 64, after warm-up, and write
        DIR/result-ENGINE-ROWS-rROUND.json in the shape SearchBenchmark.java writes

numpy: scores = matrix @ query (OpenBLAS sgemv/sgemm), then argpartition for the top 10, sorted by
score and then lower row. faiss: IndexFlatIP.search. Both read the same files as the Java driver.
Run with Debian's /usr/bin/python3 (python3-numpy, python3-faiss); THREADS sets OpenBLAS's and
OpenMP's thread counts, which must happen before numpy is imported, so run.sh also sets
OPENBLAS_NUM_THREADS and OMP_NUM_THREADS in the environment.
"""
import json
import os
import platform
import sys
import time

K = 10
BATCH = 64
WARM_UP_RUNS = 2
WARM_UP_SECONDS = 2.0


def generate(directory, sizes, dimensions, queries):
    import numpy as np

    os.makedirs(directory, exist_ok=True)
    # Gaussian components scaled to unit length: uniform on the sphere, like the Java tests' vectors.
    def write(path, rows, seed):
        if os.path.exists(path) and os.path.getsize(path) == rows * dimensions * 4:
            return
        rng = np.random.default_rng(seed)
        with open(path + ".part", "wb") as out:
            for start in range(0, rows, 100_000):
                block = rng.standard_normal((min(100_000, rows - start), dimensions), dtype=np.float64)
                block /= np.linalg.norm(block, axis=1, keepdims=True)
                block.astype("<f4").tofile(out)
        os.replace(path + ".part", path)

    write(os.path.join(directory, "queries.f32"), queries, 1)
    for rows in sizes:
        write(os.path.join(directory, "vectors-%d.f32" % rows), rows, 1000 + rows)


def load(directory, rows, dimensions):
    import numpy as np

    matrix = np.fromfile(os.path.join(directory, "vectors-%d.f32" % rows), dtype="<f4")
    queries = np.fromfile(os.path.join(directory, "queries.f32"), dtype="<f4")
    return matrix.reshape(rows, dimensions), np.ascontiguousarray(queries.reshape(-1, dimensions)[:BATCH])


def timed(search, runs, argument_of_run):
    start = time.perf_counter()
    run = 0
    while run < WARM_UP_RUNS or time.perf_counter() - start < WARM_UP_SECONDS:
        search(argument_of_run(0))
        run += 1
    times, results = [], []
    for run in range(runs):
        argument = argument_of_run(run)
        began = time.perf_counter()
        result = search(argument)
        times.append((time.perf_counter() - began) * 1e3)
        results.append(result)
    return times, results


def numpy_engine(matrix, queries, threads):
    import numpy as np

    def top(scores):
        # argpartition finds the top K in linear time; then sort those by score, then lower row.
        candidates = np.argpartition(scores, -K)[-K:]
        order = np.lexsort((candidates, -scores[candidates]))
        return candidates[order].tolist()

    def single(query):
        return top(matrix @ query)

    def batch(block):
        scores = block @ matrix.T  # (64, rows): one sgemm
        candidates = np.argpartition(scores, -K, axis=1)[:, -K:]
        result = []
        for q in range(block.shape[0]):
            row = scores[q, candidates[q]]
            result.append(candidates[q][np.lexsort((candidates[q], -row))].tolist())
        return result

    return single, batch, "numpy %s, %s" % (np.__version__, blas_name())


def faiss_engine(matrix, queries, threads):
    import faiss

    faiss.omp_set_num_threads(threads)
    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(matrix)

    def single(query):
        return index.search(query.reshape(1, -1), K)[1][0].tolist()

    def batch(block):
        return index.search(block, K)[1].tolist()

    return single, batch, "faiss %s IndexFlatIP" % faiss.__version__


def blas_name():
    """The BLAS library numpy has loaded, as a path (Debian switches it with update-alternatives)."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            if "blas" in line and "/" in line:
                return os.path.realpath(line[line.index("/"):].strip())
    return "unknown BLAS"


def run(engine, directory, rows, dimensions, threads, single_runs, batch_runs, round_number):
    matrix, queries = load(directory, rows, dimensions)
    if engine == "numpy":
        single, batch, implementation = numpy_engine(matrix, queries, threads)
    else:
        single, batch, implementation = faiss_engine(matrix, queries, threads)
        del matrix  # the index holds its own copy: keep one 2 GB copy, not two
    single_ms, single_ids = timed(single, single_runs, lambda run: queries[run % BATCH])
    batch_ms, batch_results = timed(batch, batch_runs, lambda run: queries)
    result = {
        "engine": engine,
        "implementation": implementation,
        "runtime": "Python %s" % platform.python_version(),
        "rows": rows,
        "dimensions": dimensions,
        "threads": threads,
        "k": K,
        "single_ms": single_ms,
        "batch_ms": batch_ms,
        "single_ids": single_ids[:BATCH],
        "batch_ids": batch_results[-1],
    }
    with open(os.path.join(directory, "result-%s-%d-r%d.json" % (engine, rows, round_number)), "w") as out:
        json.dump(result, out)
    median = lambda values: sorted(values)[len(values) // 2]
    print("%s N=%d round %d: single %.2f ms, batch of %d %.1f ms (medians)"
          % (engine, rows, round_number, median(single_ms), BATCH, median(batch_ms)))


def main(argv):
    if len(argv) == 5 and argv[0] == "generate":
        generate(argv[1], [int(n) for n in argv[2].split(",")], int(argv[3]), int(argv[4]))
    elif len(argv) == 8 and argv[0] in ("numpy", "faiss"):
        threads = int(argv[4])
        if os.environ.get("OPENBLAS_NUM_THREADS") != str(threads) or os.environ.get("OMP_NUM_THREADS") != str(threads):
            sys.exit("set OPENBLAS_NUM_THREADS and OMP_NUM_THREADS to %d before starting Python" % threads)
        run(argv[0], argv[1], int(argv[2]), int(argv[3]), threads, int(argv[5]), int(argv[6]), int(argv[7]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
