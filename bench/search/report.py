#!/usr/bin/python3
"""Prints the exact-search benchmark's tables from the DIR/result-ENGINE-ROWS-rROUND.json files.

    report.py DIR ROWS[,ROWS...] DIMENSIONS

Times pool the timed runs of all rounds: the median, with the fastest and slowest run in brackets.
Ratios are the service's median over the baseline's median (below 1: the service is faster), with
the lowest and highest ratio of a single round in brackets. Top-10 agreement counts queries whose
ten ids, in order, equal the service's (from round 1; the service's ids must be the same in every
round); where they differ it checks in double precision whether only rows whose exact scores are
within 1e-6 of each other changed places, and says so. Bandwidth: bytes of the matrix over the time
of each single query, against the floor read just after it (a plain streaming read of the same array
with the same threads); scan ÷ floor is the median of those pairs.
"""
import glob
import json
import os
import re
import sys

NEAR_TIE = 1e-6
ENGINES = ["java-vector", "java-vector-4k-pages", "java-scalar", "numpy", "faiss"]


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    return (ordered[n // 2] + ordered[(n - 1) // 2]) / 2


def fmt(ms):
    return "%.3g" % ms if ms < 10 else "%.0f" % ms


def spread(values):
    return "%s [%s–%s]" % (fmt(median(values)), fmt(min(values)), fmt(max(values)))


class Reference:
    """Exact scores of chosen rows, for telling near-ties from real disagreements."""

    def __init__(self, directory, rows, dimensions):
        import numpy as np

        self.np = np
        self.matrix = np.memmap(os.path.join(directory, "vectors-%d.f32" % rows), dtype="<f4", mode="r",
                                shape=(rows, dimensions))
        queries = np.fromfile(os.path.join(directory, "queries.f32"), dtype="<f4")
        self.queries = queries.reshape(-1, dimensions).astype(np.float64)

    def agree(self, query, ours, theirs):
        """'same', 'tie' (differences only between rows within NEAR_TIE of each other) or 'different'."""
        if ours == theirs:
            return "same"
        if len(ours) != len(theirs):
            return "different"
        rows = sorted(set(ours) | set(theirs))
        exact = dict(zip(rows, self.matrix[rows].astype(self.np.float64) @ self.queries[query]))
        for a, b in zip(ours, theirs):
            if abs(exact[a] - exact[b]) > NEAR_TIE:
                return "different"
        return "tie"


def agreement(reference, ours, theirs, query_of_position):
    counts = {"same": 0, "tie": 0, "different": 0}
    for position, (a, b) in enumerate(zip(ours, theirs)):
        counts[reference.agree(query_of_position(position), a, b)] += 1
    text = "%d/%d" % (counts["same"], len(ours))
    if counts["tie"]:
        text += " (+%d near-tie)" % counts["tie"]
    if counts["different"]:
        text += " (%d DIFFERENT)" % counts["different"]
    return text


def load(directory, sizes):
    """{(engine, rows): [result of round 1, round 2, ...]}"""
    results = {}
    for path in sorted(glob.glob(os.path.join(directory, "result-*-r*.json"))):
        match = re.fullmatch(r"result-(.+)-(\d+)-r(\d+)\.json", os.path.basename(path))
        if match and int(match.group(2)) in sizes:
            with open(path) as f:
                results.setdefault((match.group(1), int(match.group(2))), []).append((int(match.group(3)), json.load(f)))
    return {key: [r for _, r in sorted(rounds, key=lambda pair: pair[0])] for key, rounds in results.items()}


def pooled(rounds, key):
    return [value for r in rounds for value in r[key]]


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    directory, sizes, dimensions = argv[0], [int(n) for n in argv[1].split(",")], int(argv[2])
    results = load(directory, sizes)
    for engine in ENGINES:
        found = [rounds for (e, _), rounds in results.items() if e == engine]
        if found:
            first = found[0][0]
            print("%-21s %s; %s; threads %d; rounds %d" % (engine, first["implementation"], first["runtime"],
                                                          first["threads"], len(found[0])))
    for (engine, rows), rounds in results.items():
        if engine.startswith("java") and any(r["single_ids"] != rounds[0]["single_ids"]
                                             or r["batch_ids"] != rounds[0]["batch_ids"] for r in rounds):
            print("WARNING: %s at N=%d returned different ids in different rounds" % (engine, rows))
    print()
    print("| N | queries | service (Vector API), ms | service (scalar), ms | numpy, ms | FAISS, ms "
          "| service ÷ numpy | service ÷ FAISS | top-10 = numpy | top-10 = FAISS |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for rows in sizes:
        reference = Reference(directory, rows, dimensions)
        ours = results.get(("java-vector", rows))
        for mode, label in (("single", "1"), ("batch", "64")):
            key = mode + "_ms"
            cells = ["{:,}".format(rows), label]
            for engine in ("java-vector", "java-scalar", "numpy", "faiss"):
                rounds = results.get((engine, rows))
                cells.append(spread(pooled(rounds, key)) if rounds else "–")
            for engine in ("numpy", "faiss"):
                theirs = results.get((engine, rows))
                if not (ours and theirs):
                    cells.append("–")
                    continue
                per_round = [median(a[key]) / median(b[key]) for a, b in zip(ours, theirs)]
                cells.append("%.2f [%.2f–%.2f]" % (median(pooled(ours, key)) / median(pooled(theirs, key)),
                                                   min(per_round), max(per_round)))
            for engine in ("numpy", "faiss"):
                theirs = results.get((engine, rows))
                if not (ours and theirs):
                    cells.append("–")
                elif mode == "single":
                    cells.append(agreement(reference, ours[0]["single_ids"], theirs[0]["single_ids"],
                                           lambda position: position % 64))
                else:
                    cells.append(agreement(reference, ours[0]["batch_ids"], theirs[0]["batch_ids"],
                                           lambda position: position))
            print("| " + " | ".join(cells) + " |")
    print()
    threads = next(iter(results.values()))[0]["threads"]
    print("| N | matrix | JVM pages | scan, one query, Vector API | floor, %d threads | scan ÷ floor "
          "| floor, 1 thread |" % threads)
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for rows in sizes:
        for engine, pages in (("java-vector", "transparent huge pages"), ("java-vector-4k-pages", "4 KB")):
            rounds = results.get((engine, rows))
            if not rounds or not rounds[0]["floor_gbps"]:
                continue
            gigabytes = rows * dimensions * 4 / 1e9
            scans = [gigabytes / (ms / 1e3) for ms in pooled(rounds, "single_ms")]
            floors = pooled(rounds, "floor_gbps")
            ratios = [scan / floor for scan, floor in zip(scans, floors)]
            print("| {:,} | {:.3g} GB | {} | {:.1f} GB/s | {:.1f} GB/s | {:.2f} [{:.2f}–{:.2f}] | {:.1f} GB/s |".format(
                rows, gigabytes, pages, median(scans), median(floors), median(ratios), min(ratios), max(ratios),
                median(pooled(rounds, "floor_one_thread_gbps"))))


if __name__ == "__main__":
    main(sys.argv[1:])
