#!/usr/bin/python3
"""Prints the exact-search benchmark's table from the DIR/result-ENGINE-ROWS.json files.

    report.py DIR ROWS[,ROWS...] DIMENSIONS

Times are medians of the timed runs, with the fastest and slowest run in brackets. Ratios are the
service's median over the baseline's median (below 1: the service is faster). Top-10 agreement
counts queries whose ten ids, in order, equal the service's; where they differ it checks, in double
precision, whether only rows whose exact scores are within float rounding (1e-6) of each other
changed places or swapped in and out at rank 10, and says so. Bandwidth: bytes of the matrix over
the median single-query time, against the floor (a plain streaming read of the same array with
the same threads, measured by the Java driver).
"""
import json
import os
import sys

NEAR_TIE = 1e-6


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    return (ordered[n // 2] + ordered[(n - 1) // 2]) / 2


def spread(values):
    return "%s [%s–%s]" % (fmt(median(values)), fmt(min(values)), fmt(max(values)))


def fmt(ms):
    return "%.3g" % ms if ms < 10 else "%.0f" % ms


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
        """'same', 'tie' (differences only among rows within NEAR_TIE of each other) or 'different'."""
        if ours == theirs:
            return "same"
        rows = sorted(set(ours) | set(theirs))
        exact = dict(zip(rows, self.matrix[rows].astype(self.np.float64) @ self.queries[query]))
        # Both lists must be sorted by exact score up to near-ties, and agree on every score position.
        for a, b in zip(ours, theirs):
            if abs(exact[a] - exact[b]) > NEAR_TIE:
                return "different"
        return "tie" if len(ours) == len(theirs) else "different"


def agreement(reference, ours, theirs, queries_of_runs):
    counts = {"same": 0, "tie": 0, "different": 0}
    for run, (a, b) in enumerate(zip(ours, theirs)):
        counts[reference.agree(queries_of_runs(run), a, b)] += 1
    text = "%d/%d" % (counts["same"], len(ours))
    if counts["tie"]:
        text += " (+%d near-tie)" % counts["tie"]
    if counts["different"]:
        text += " (%d DIFFERENT)" % counts["different"]
    return text


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    directory, sizes, dimensions = argv[0], [int(n) for n in argv[1].split(",")], int(argv[2])
    engines = ["java-vector", "java-vector-4k-pages", "java-scalar", "numpy", "faiss"]
    results = {}
    for rows in sizes:
        for engine in engines:
            path = os.path.join(directory, "result-%s-%d.json" % (engine, rows))
            if os.path.exists(path):
                with open(path) as f:
                    results[engine, rows] = json.load(f)
    any_result = next(iter(results.values()))
    for engine in engines:
        found = [r for (e, _), r in results.items() if e == engine]
        if found:
            print("%-12s %s; %s; threads %d" % (engine, found[0]["implementation"], found[0]["runtime"],
                                                found[0]["threads"]))
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
                r = results.get((engine, rows))
                cells.append(spread(r[key]) if r else "–")
            for engine in ("numpy", "faiss"):
                r = results.get((engine, rows))
                cells.append("%.2f" % (median(ours[key]) / median(r[key])) if ours and r else "–")
            for engine in ("numpy", "faiss"):
                r = results.get((engine, rows))
                if not (ours and r):
                    cells.append("–")
                elif mode == "single":
                    cells.append(agreement(reference, ours["single_ids"], r["single_ids"], lambda run: run % 64))
                else:
                    cells.append(agreement(reference, ours["batch_ids"], r["batch_ids"], lambda run: run))
            print("| " + " | ".join(cells) + " |")
    print()
    print("| N | matrix | JVM pages | scan, one query, Vector API | floor, %d threads | scan ÷ floor | floor, 1 thread |"
          % any_result["threads"])
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for rows in sizes:
        for engine, pages in (("java-vector", "transparent huge pages"), ("java-vector-4k-pages", "4 KB")):
            ours = results.get((engine, rows))
            if not ours or not ours["floor_gbps"]:
                continue
            gigabytes = rows * dimensions * 4 / 1e9
            scan = gigabytes / (median(ours["single_ms"]) / 1e3)
            floor = median(ours["floor_gbps"])
            print("| {:,} | {:.3g} GB | {} | {:.1f} GB/s | {:.1f} GB/s | {:.2f} | {:.1f} GB/s |".format(
                rows, gigabytes, pages, scan, floor, scan / floor, median(ours["floor_one_thread_gbps"])))

if __name__ == "__main__":
    main(sys.argv[1:])
