"""Statistics on the segregation index from each test image's result under each lesion (the
lesion step's .npz files): a bootstrap over seeds and test images, a test against a baseline,
and performance matching (the authors' equalising of baseline accuracy between tasks); and the
interval of a proportion (Figure 3's readout)."""

from __future__ import annotations

import numpy as np

from .errors import FuncspecError
from .lesion import dissociation


def load_images(path) -> dict:
    """One lesion job's per-image results: correct[lesion, image], member[group, image] and
    each lesion's name, draw and fraction."""
    with np.load(path, allow_pickle=False) as saved:
        images = {key: saved[key] for key in saved.files}
    images["network"], images["layer"] = str(images["network"]), str(images["layer"])
    images["groups"] = [str(g) for g in images["groups"]]
    return images


def task_images(images: dict, task: str) -> np.ndarray:
    """Indices of the task's test images."""
    return np.flatnonzero(images["member"][images["groups"].index(task)])


def unlesioned(images: dict, picks: np.ndarray) -> np.ndarray:
    """Each picked image's correctness with no lesion."""
    return images["correct"][np.flatnonzero(images["lesion"] == "none")[0], picks]


def drops(images: dict, tasks, fraction: float, picks: dict) -> dict:
    """{(lesion, task): proportional drop} at `fraction` (first draw), each task measured on the
    images `picks[task]` (indices, repeats allowed: a bootstrap sample)."""
    names, fractions = images["lesion"], images["fraction"]
    at = (images["draw"] == 0) & (np.isclose(fractions, fraction) | (names == "none"))
    out = {}
    for task in tasks:
        accuracy = images["correct"][:, picks[task]].mean(axis=1)
        base = accuracy[np.flatnonzero(names == "none")[0]]
        for i in np.flatnonzero(at & (names != "none")):
            out[(str(names[i]), task)] = (base - accuracy[i]) / base if base > 0 else np.nan
    return out


def segregation_index(images: dict, task_a: str, task_b: str, fraction: float, picks=None):
    """The segregation index of lesion.segregation, on all test images or on `picks`."""
    if picks is None:
        picks = {task: task_images(images, task) for task in (task_a, task_b)}
    return dissociation(drops(images, (task_a, task_b), fraction, picks), task_a, task_b)["index"]


def bootstrap(seeds: list[dict], task_a: str, task_b: str, fraction: float, samples: int, rng):
    """Bootstrap distribution of the seed-mean segregation index: each sample draws seeds with
    replacement, then each drawn seed's test images with replacement within each task."""
    pools = [{t: task_images(images, t) for t in (task_a, task_b)} for images in seeds]
    out = np.empty(samples)
    for b in range(samples):
        values = []
        for s in rng.integers(len(seeds), size=len(seeds)):
            picks = {t: rng.choice(pool, size=len(pool)) for t, pool in pools[s].items()}
            values.append(segregation_index(seeds[s], task_a, task_b, fraction, picks))
        out[b] = np.mean(values)
    return out


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


def p_above(samples: np.ndarray, baseline: np.ndarray) -> float:
    """One-sided bootstrap p-value that the index is not above the baseline, from two
    independent bootstrap distributions: (1 + the number of sample pairs in which it is not)
    / (1 + the number of pairs). Independent draws make the test unpaired, which is
    conservative where the two are positively correlated (a network and its own split)."""
    if not (defined(samples) and defined(baseline)):
        return float("nan")
    n = min(len(samples), len(baseline))
    pairs = np.isfinite(samples[:n]) & np.isfinite(baseline[:n])
    not_above = np.sum(samples[:n][pairs] <= baseline[:n][pairs])
    return float((1 + not_above) / (1 + pairs.sum()))


def binomial_interval(k: int, n: int, level: float) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval of a proportion k/n, holding `level`."""
    from scipy.stats import beta

    tail = (1 - level) / 2
    low = beta.ppf(tail, k, n - k + 1) if k > 0 else 0.0
    high = beta.ppf(1 - tail, k + 1, n - k) if k < n else 1.0
    return float(low), float(high)


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
