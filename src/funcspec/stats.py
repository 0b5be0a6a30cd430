"""Statistics on the segregation index from each test image's result under each lesion (the
lesion step's .npz files): a nested bootstrap over seeds, then classes, then test images; paired
tests against a baseline computed on the same resamples; Holm's correction across layers; the
per-seed trend of the index with depth; performance matching (the authors' equalising of
baseline accuracy between tasks); and the interval of a proportion (Figure 3's readout).

A resample is a weight per test image (how often it was drawn), so that one resample measures
every lesion, every layer and every index of a network alike: that is what pairs a network's
index with its random-split null, and one layer with the next in the trend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import FuncspecError
from .tasks import is_split, split_pairs


def load_images(path) -> dict:
    """One lesion job's per-image results: correct[lesion, image], member[group, image], each
    image's class label, and each lesion's name, draw and fraction."""
    with np.load(path, allow_pickle=False) as saved:
        images = {key: saved[key] for key in saved.files}
    if "labels" not in images:
        raise FuncspecError(
            f"{path} holds no class labels (made by an older lesion step): rerun it"
        )
    images["network"], images["layer"] = str(images["network"]), str(images["layer"])
    images["groups"] = [str(g) for g in images["groups"]]
    # Lesion files made before consolidated tasks existed have none.
    images["consolidated"] = [str(t) for t in images.get("consolidated", [])]
    return images


def task_images(images: dict, task: str) -> np.ndarray:
    """Indices of the task's test images."""
    return np.flatnonzero(images["member"][images["groups"].index(task)])


def unlesioned(images: dict, picks: np.ndarray) -> np.ndarray:
    """Each picked image's correctness with no lesion."""
    return images["correct"][np.flatnonzero(images["lesion"] == "none")[0], picks]


def weights_of(picks: np.ndarray, n_images: int) -> np.ndarray:
    """A resample of one row from picked image indices (repeats count twice)."""
    return np.bincount(picks, minlength=n_images)[None, :].astype(np.float64)


def drops(images: dict, tasks, fraction: float, weights=None) -> dict:
    """{(lesion, task): proportional drop per resample} at `fraction` (first draw; random
    lesions averaged over their draws); `weights[resample, image]`, default every image once.
    A resample in which a task has no correct image has no drop (NaN)."""
    correct = images["correct"].astype(np.float64)
    if weights is None:
        weights = np.ones((1, correct.shape[1]))
    names, fractions = images["lesion"], images["fraction"]
    at = np.isclose(fractions, fraction) & (names != "none")
    out = {}
    for task in tasks:
        member = images["member"][images["groups"].index(task)].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            accuracy = (weights @ (correct * member).T) / (weights @ member)[:, None]
            base = accuracy[:, np.flatnonzero(names == "none")[0]]
            for name in dict.fromkeys(names[at]):
                random = name == "random"
                rows = np.flatnonzero(at & (names == name) & ((images["draw"] == 0) | random))
                lesioned = accuracy[:, rows].mean(axis=1)
                out[(str(name), task)] = np.where(base > 0, (base - lesioned) / base, np.nan)
    return out


def segregation_index(images: dict, task_a: str, task_b: str, fraction: float, weights=None):
    """The segregation index of lesion.segregation, per resample of `weights` (default: every
    image once, as one number)."""
    d = drops(images, (task_a, task_b), fraction, weights)
    index = (
        (d[(task_a, task_a)] - d[(task_b, task_a)]) + (d[(task_b, task_b)] - d[(task_a, task_b)])
    ) / 2
    return index if weights is not None else float(index[0])


def split_index(images: dict, fraction: float, weights=None):
    """The segregation index of a seed's random class splits, averaged over its partitions."""
    pairs = split_pairs(images["groups"])
    if not pairs:
        raise FuncspecError(f"{images['network']} {images['layer']}: no random split was lesioned")
    return np.mean([segregation_index(images, *pair, fraction, weights) for pair in pairs], axis=0)


def class_image_weights(labels, strata, samples: int, rng) -> np.ndarray:
    """[resample, image] counts: within each stratum (a task's images), its classes drawn with
    replacement, then as many images as each drawn class has, with replacement within it."""
    weights = np.zeros((samples, len(labels)))
    for stratum in strata:
        classes = np.unique(labels[stratum])
        n = len(classes)
        drawn = rng.integers(n, size=(samples, n)) + n * np.arange(samples)[:, None]
        times = np.bincount(drawn.ravel(), minlength=samples * n).reshape(samples, n)
        for c, label in enumerate(classes):
            own = np.flatnonzero(stratum & (labels == label))
            weights[:, own] = rng.multinomial(
                times[:, c] * len(own), np.full(len(own), 1 / len(own))
            )
    return weights


@dataclass
class Resamples:
    """Nested resamples of one network's seeds and test images: seeds[resample, slot] picks a
    seed for each of the network's seed slots, and each slot has its own class-then-image
    weights[slot][resample, image] over the test images of class `labels`. Every statistic of
    the network is measured on them."""

    seeds: np.ndarray
    weights: list
    labels: np.ndarray

    @classmethod
    def draw(cls, images: dict, n_seeds: int, samples: int, rng) -> Resamples:
        """`images`: any one of the network's per-image results (they share the test images);
        its real tasks are the strata of the class draw."""
        strata = [m for g, m in zip(images["groups"], images["member"]) if g in real_tasks(images)]
        seeds = rng.integers(n_seeds, size=(samples, n_seeds))
        weights = [
            class_image_weights(images["labels"], strata, samples, rng) for _ in range(n_seeds)
        ]
        return cls(seeds, weights, images["labels"])

    def covers(self, per_seed: list[dict]) -> bool:
        """Whether these resamples fit another network's seeds: as many, on the same images."""
        return len(per_seed) == self.seeds.shape[1] and np.array_equal(
            per_seed[0]["labels"], self.labels
        )

    def apply(self, per_seed: list, statistic) -> np.ndarray:
        """The seed mean of statistic(per_seed[s], weights) in every resample."""
        if len(per_seed) != self.seeds.shape[1]:
            raise ValueError(f"{len(per_seed)} seeds, resampled for {self.seeds.shape[1]}")
        values = np.stack([[statistic(item, w) for w in self.weights] for item in per_seed])
        slots = np.arange(self.seeds.shape[1])
        return values[self.seeds, slots, np.arange(len(self.seeds))[:, None]].mean(axis=1)


def real_tasks(images: dict) -> list[str]:
    """The network's own tasks among its groups (not the halves of a random split)."""
    return [g for g in images["groups"] if not is_split(g)]


def depth_slope(values) -> float | np.ndarray:
    """Least-squares slope of values over layer position 1..L (axis 0: layers)."""
    values = np.asarray(values, dtype=np.float64)
    x = np.arange(1, len(values) + 1) - (len(values) + 1) / 2
    return np.tensordot(x, values, axes=1) / (x @ x)


def defined(samples: np.ndarray) -> bool:
    """A resample in which a task starts at zero accuracy has no drop and no index. Such
    resamples are left out while they are a minority; beyond that the bootstrap says nothing."""
    return np.isfinite(samples).sum() >= len(samples) / 2


def interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    """The percentile interval holding `level` of the (defined) bootstrap samples."""
    if not defined(samples):
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def p_above(samples: np.ndarray, null: np.ndarray) -> float:
    """One-sided bootstrap p-value that the statistic is not above its null: (1 + the number of
    resamples in which it is not) / (1 + the number of resamples). Paired when the two were
    measured on the same resamples (a network's index and its own random split); on
    independent resamples (another test set) the same count is the unpaired test."""
    if len(samples) != len(null):
        raise ValueError(f"{len(samples)} resamples against {len(null)}")
    if not (defined(samples) and defined(null)):
        return float("nan")
    pairs = np.isfinite(samples) & np.isfinite(null)
    not_above = np.sum(samples[pairs] <= null[pairs])
    return float((1 + not_above) / (1 + pairs.sum()))


def p_two_sided(difference: np.ndarray) -> float:
    """Two-sided bootstrap p-value that a difference is zero: twice the smaller tail."""
    if not defined(difference):
        return float("nan")
    d = difference[np.isfinite(difference)]
    tail = min(np.sum(d <= 0), np.sum(d >= 0))
    return float(min(1.0, 2 * (1 + tail) / (1 + len(d))))


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN and does not count as a test)."""
    p = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m, running = len(order), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def across_seeds(values, level: float) -> tuple[float, float]:
    """The t interval of the mean over seeds (the seed as the unit of inference; 3 or more)."""
    from scipy.stats import t

    values = np.asarray(values, dtype=np.float64)
    if len(values) < 3:
        return float("nan"), float("nan")
    half = t.ppf(1 - (1 - level) / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean() - half), float(values.mean() + half)


def margin_weights(images: dict, tasks, bins: int) -> np.ndarray:
    """A resample of one row that gives each task the same distribution of unlesioned margins
    (how confidently each image is classified): images are binned at quantiles of the tasks'
    pooled margins, and within each bin every task's images share the bin's pooled share
    equally. A bin that some task has no image in is left out. A lesion that hurts each image
    by its margin alone then hurts both tasks alike; one that hurts a task's images at every
    margin still does."""
    margin = images["margin"]
    members = [images["member"][images["groups"].index(t)] for t in tasks]
    pooled = np.any(members, axis=0)
    edges = np.quantile(margin[pooled], np.linspace(0, 1, bins + 1)[1:-1])
    bin_of = np.searchsorted(edges, margin, side="right")
    share = np.bincount(bin_of[pooled], minlength=bins) / pooled.sum()
    counts = [np.bincount(bin_of[m], minlength=bins) for m in members]
    kept = np.all([c > 0 for c in counts], axis=0)
    weights = np.zeros(len(margin))
    for member, count in zip(members, counts):
        in_kept = member & kept[bin_of]
        weights[in_kept] = share[bin_of[in_kept]] / count[bin_of[in_kept]]
    return weights[None, :]


def matched_picks(images: dict, task: str, target: float, rng) -> np.ndarray:
    """The task's test images with unlesioned predictions removed at random until its accuracy
    equals `target`: correct ones if it is above, wrong ones if below (authors' get_match_samples).
    The same images then measure every lesion."""
    pool = task_images(images, task)
    correct = unlesioned(images, pool)
    n, hits = len(pool), int(correct.sum())
    if (target < hits / n and hits == n) or (target > hits / n and hits == 0):
        # removing predictions from an all-correct (all-wrong) set never moves its accuracy
        raise FuncspecError(
            f"{images['network']} {images['layer']}: {task} starts at {hits}/{n} correct and "
            f"cannot be matched to accuracy {target:.3f} by removing predictions"
        )
    if hits > target * n:  # remove k correct: (hits - k) / (n - k) = target
        k = int(round((hits - target * n) / (1 - target))) if target < 1 else 0
        drop = rng.choice(pool[correct], size=min(k, hits), replace=False)
    else:  # remove k wrong: hits / (n - k) = target
        k = int(round(n - hits / target)) if target > 0 else 0
        drop = rng.choice(pool[~correct], size=min(k, n - hits), replace=False)
    return np.setdiff1d(pool, drop)


def unit_mean_interval(by_seed, level: float, resamples: int, rng) -> tuple[float, float]:
    """The bootstrap interval of a mean over seeds of per-seed unit means, units resampled
    within their seed."""
    by_seed = [np.asarray(v, dtype=np.float64) for v in by_seed if len(v)]
    if not by_seed:
        return float("nan"), float("nan")
    means = np.mean([v[rng.integers(0, len(v), (resamples, len(v)))].mean(1) for v in by_seed], 0)
    return interval(means, level)


def permutation_p(a_by_seed, b_by_seed, permutations: int, rng) -> tuple[float, float]:
    """The difference of two groups of units (mean over seeds of the difference of their means)
    and its two-sided permutation p-value, labels permuted within each seed. Seeds where either
    group is empty do not count; with none left both are NaN."""
    pairs = [
        (np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
        for a, b in zip(a_by_seed, b_by_seed)
        if len(a) and len(b)
    ]
    if not pairs:
        return float("nan"), float("nan")
    observed = np.mean([a.mean() - b.mean() for a, b in pairs])
    null = np.zeros(permutations)
    for a, b in pairs:
        shuffled = rng.permuted(np.tile(np.concatenate([a, b]), (permutations, 1)), axis=1)
        null += shuffled[:, : len(a)].mean(1) - shuffled[:, len(a) :].mean(1)
    null /= len(pairs)
    extreme = np.sum(np.abs(null) >= abs(observed) - 1e-12)
    return float(observed), float((1 + extreme) / (1 + permutations))


def overlap_p(overlaps, top: int, n_units: int, draws: int, rng) -> float:
    """P(two random top sets of `top` of `n_units` units overlap, summed over seeds, at least as
    much as `overlaps`): one-sided, by simulation of the hypergeometric."""
    null = rng.hypergeometric(top, n_units - top, top, size=(draws, len(overlaps))).sum(1)
    return float((1 + np.sum(null >= sum(overlaps))) / (1 + draws))
