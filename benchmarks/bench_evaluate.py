"""Cost of the class-and-image bootstrap CI of top-1 accuracy at the paper's scale.

    python benchmarks/bench_evaluate.py [--classes 1714] [--per-class 50] [--boot 1000]
                                        [--repeats 3]

funcspec.evaluate.bootstrap_ci draws, per replicate, the classes with replacement and then one
binomial count of correct images per drawn class, all replicates at once. The baseline is the
naive two-level bootstrap written out here: a Python loop over replicates that draws the classes
and then one image index per image of every drawn class, with replacement. Both estimate the
same distribution (not the same random numbers), so their intervals agree only to Monte-Carlo
error; both are printed. Prints both times and their ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from funcspec.evaluate import bootstrap_ci


def synthetic(n_classes: int, per_class: int, p: float, seed: int = 0):
    """Correctness flags, per-class accuracies spread around p (as in tests/test_evaluate.py)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_classes), per_class)
    class_p = np.clip(rng.normal(p, 0.1, n_classes), 0, 1)
    correct = rng.random(labels.size) < class_p[labels]
    return correct, labels


def naive_ci(correct, labels, n_boot: int, level: float = 0.95, seed: int = 0):
    """The textbook two-level bootstrap: a loop over resamples, every image index drawn."""
    rng = np.random.default_rng(seed)
    order = np.argsort(labels, kind="stable")
    _, starts, sizes = np.unique(labels[order], return_index=True, return_counts=True)
    flags = correct[order]
    stats = np.empty(n_boot)
    for b in range(n_boot):
        drawn = rng.integers(0, sizes.size, sizes.size)  # classes, with replacement
        n = sizes[drawn]
        first = np.repeat(starts[drawn], n)  # images of each drawn class,
        within = (rng.random(n.sum()) * np.repeat(n, n)).astype(np.int64)  # with replacement
        stats[b] = flags[first + within].mean()
    tail = (1 - level) / 2
    low, high = np.quantile(stats, [tail, 1 - tail])
    return float(low), float(high)


def _best_of(repeats: int, run):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=1714)
    parser.add_argument("--per-class", type=int, default=50)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    correct, labels = synthetic(args.classes, args.per_class, 0.8)
    naive, naive_interval = _best_of(args.repeats, lambda: naive_ci(correct, labels, args.boot))
    fast, fast_interval = _best_of(args.repeats, lambda: bootstrap_ci(correct, labels, args.boot))
    print(
        f"inputs: {args.classes} classes x {args.per_class} images, {args.boot} replicates, "
        f"accuracy {correct.mean():.4f}"
    )
    for name, seconds, (low, high) in [
        ("naive per-resample loop", naive, naive_interval),
        ("bootstrap_ci (binomial)", fast, fast_interval),
    ]:
        print(f"{name + ':':25s} {seconds * 1e3:9.1f} ms   CI {low:.4f}-{high:.4f}")
    print(f"speed-up: {naive / fast:.1f}x")


if __name__ == "__main__":
    main()
