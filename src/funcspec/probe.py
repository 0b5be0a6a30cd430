"""Low-level shortcut probe: can global image statistics alone tell two datasets apart?

If a linear classifier on colour histograms, spatial-frequency spectra or luminance
statistics separates faces from objects, a network can segregate them for those reasons
rather than for shape (docs/methods.md: a colour shortcut once produced the whole lesion
result). The pipeline reports this probe beside the lesion results.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from . import streams
from .atomic import write_csv
from .errors import FuncspecError
from .shards import sample

FEATURE_SETS = ("colour_histogram", "spatial_frequency", "luminance_contrast", "all")
_LUMA = np.array([0.299, 0.587, 0.114])
_HUE_BINS, _SAT_BINS, _VALUE_BINS, _CHANNEL_BINS, _FREQ_BINS = 12, 4, 8, 8, 10


def _hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    maxc = rgb.max(axis=-1)
    minc = rgb.min(axis=-1)
    delta = maxc - minc
    safe = np.where(delta > 0, delta, 1.0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    hue = np.where(
        maxc == r, (g - b) / safe, np.where(maxc == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe)
    )
    hue = (hue / 6.0) % 1.0
    sat = np.where(maxc > 0, delta / np.where(maxc > 0, maxc, 1.0), 0.0)
    return hue, sat, maxc


def _histograms(values: np.ndarray, bins: int) -> np.ndarray:
    """Per-image normalised histogram of values in [0, 1]: (N, ...) -> (N, bins)."""
    n = values.shape[0]
    idx = np.minimum((values.reshape(n, -1) * bins).astype(np.int64), bins - 1)
    counts = np.zeros((n, bins))
    np.add.at(counts, (np.repeat(np.arange(n), idx.shape[1]), idx.ravel()), 1.0)
    return counts / idx.shape[1]


def _colour_histogram(rgb: np.ndarray) -> np.ndarray:
    hue, sat, val = _hsv(rgb)
    # Joint hue x saturation so that greys do not vote for arbitrary hues.
    hue_sat = np.minimum((hue * _HUE_BINS).astype(int), _HUE_BINS - 1) * _SAT_BINS + np.minimum(
        (sat * _SAT_BINS).astype(int), _SAT_BINS - 1
    )
    joint = _histograms((hue_sat + 0.5) / (_HUE_BINS * _SAT_BINS), _HUE_BINS * _SAT_BINS)
    channels = [_histograms(rgb[..., c], _CHANNEL_BINS) for c in range(3)]
    return np.concatenate([joint, _histograms(val, _VALUE_BINS), *channels], axis=1)


def _spatial_frequency(luminance: np.ndarray) -> np.ndarray:
    n, h, w = luminance.shape
    centred = luminance - luminance.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(centred)) ** 2
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    radius = np.hypot(fy, fx) * min(h, w)  # cycles per image
    edges = np.geomspace(1.0, min(h, w) / 2.0 * np.sqrt(2.0), _FREQ_BINS + 1)
    features = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        ring = (radius >= lo) & (radius < hi)
        features.append(np.log(power[:, ring].mean(axis=1) + 1e-8) if ring.any() else np.zeros(n))
    return np.stack(features, axis=1)


def _luminance_contrast(luminance: np.ndarray) -> np.ndarray:
    n, h, w = luminance.shape
    flat = luminance.reshape(n, -1)
    mean = flat.mean(axis=1)
    std = flat.std(axis=1)
    z = (flat - mean[:, None]) / np.maximum(std, 1e-6)[:, None]
    gx = np.abs(np.diff(luminance, axis=2)).mean(axis=(1, 2))
    gy = np.abs(np.diff(luminance, axis=1)).mean(axis=(1, 2))
    block = 4 if min(h, w) >= 8 else 1
    hb, wb = h // block, w // block
    tiles = luminance[:, : hb * block, : wb * block].reshape(n, hb, block, wb, block)
    local = tiles.std(axis=(2, 4)).mean(axis=(1, 2))
    percentiles = np.percentile(flat, [5, 25, 50, 75, 95], axis=1).T
    return np.column_stack(
        [mean, std, (z**3).mean(axis=1), (z**4).mean(axis=1), gx, gy, local, percentiles]
    )


def lowlevel_features(images: np.ndarray) -> dict[str, np.ndarray]:
    """Global colour, spatial-frequency and luminance statistics of uint8 (N, H, W, 3) images."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise FuncspecError(
            f"expected uint8 images of shape (N, H, W, 3), got {images.dtype} {images.shape}"
        )
    rgb = images.astype(np.float64) / 255.0
    luminance = rgb @ _LUMA
    sets = {
        "colour_histogram": _colour_histogram(rgb),
        "spatial_frequency": _spatial_frequency(luminance),
        "luminance_contrast": _luminance_contrast(luminance),
    }
    sets["all"] = np.concatenate(list(sets.values()), axis=1)
    return sets


def probe(datasets, out, images_per_dataset: int, folds: int, seed: int) -> None:
    """The probe step: sample each prepared dataset, probe every pair, write the table."""
    images = {Path(d).name: sample(d, images_per_dataset, seed) for d in datasets}
    write_csv(out, domain_probe(images, folds=folds, seed=seed))


def domain_probe(
    images_by_domain: dict[str, np.ndarray], folds: int = 5, seed: int = 0
) -> list[dict]:
    """Cross-validated accuracy of telling each pair of domains apart from each feature set."""
    if len(images_by_domain) < 2:
        raise FuncspecError(
            f"domain_probe needs at least two domains, got {sorted(images_by_domain)}"
        )
    features = {name: lowlevel_features(images) for name, images in images_by_domain.items()}
    # The fits are tiny: BLAS threads only contend with each other (and with parallel jobs).
    with threadpool_limits(1):
        return _probe_pairs(images_by_domain, features, folds, seed)


def _probe_pairs(images_by_domain: dict, features: dict, folds: int, seed: int) -> list[dict]:
    rows = []
    for a, b in combinations(sorted(images_by_domain), 2):
        n = min(len(images_by_domain[a]), len(images_by_domain[b]))
        if n < folds:
            raise FuncspecError(f"{a} vs {b}: {n} images per domain is fewer than {folds} folds")
        rng = streams.rng("sample", seed, a, b)
        pick_a = np.sort(rng.permutation(len(images_by_domain[a]))[:n])
        pick_b = np.sort(rng.permutation(len(images_by_domain[b]))[:n])
        y = np.repeat([0, 1], n)
        cv = StratifiedKFold(folds, shuffle=True, random_state=streams.seed_of("probe_folds", seed))
        for name in FEATURE_SETS:
            x = np.concatenate([features[a][name][pick_a], features[b][name][pick_b]])
            model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
            scores = cross_val_score(model, x, y, cv=cv)
            rows.append(
                {
                    "domain_a": a,
                    "domain_b": b,
                    "features": name,
                    "n_per_domain": int(n),
                    "folds": folds,
                    "accuracy": float(scores.mean()),
                    "sem": float(scores.std(ddof=1) / np.sqrt(folds)),
                    "chance": 0.5,
                }
            )
    return rows


INPUTS = ("datasets",)


def add_arguments(p) -> None:
    p.add_argument("--datasets", nargs="+", required=True, help="prepared dataset folders")
    p.add_argument("--images-per-dataset", type=int, required=True)
    p.add_argument("--folds", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True, help="CSV of accuracy per pair and feature set")


def main(args) -> list:
    probe(args.datasets, args.out, args.images_per_dataset, args.folds, args.seed)
    return [args.out]
