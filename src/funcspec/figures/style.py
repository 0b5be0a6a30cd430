"""The look shared by every figure: one colour and one label per network, and the rcParams."""

from __future__ import annotations

import matplotlib
import numpy as np

# A network keeps its colour across figures so a reader can follow it from panel to panel.
PALETTE = {
    "face": "#d7301f",
    "object": "#2166ac",
    "dual": "#762a83",
    "untrained": "#7f7f7f",
    "food": "#e08214",
    "car": "#1b7837",
    "face_object": "#d7301f",
    "food_object": "#e08214",
    "car_object": "#1b7837",
    "detect_object": "#fc9272",  # faces as one class: the face+object net's lighter red
    "alexnet_dual": "#c51b7d",  # the dual net's purple, shifted, per family
    "resnet_dual": "#4d9221",
    "face_object_food": "#d7301f",
    "face_object_cars": "#fc8d59",
}

LABELS = {
    "face": "Face net",
    "object": "Object net",
    "dual": "Dual net",
    "untrained": "Untrained",
    "food": "Food net",
    "car": "Car net",
    "face_object": "Face+object",
    "food_object": "Food+object",
    "car_object": "Car+object",
    "detect_object": "Face detection+object",
    "alexnet_dual": "AlexNet-style dual net",
    "resnet_dual": "ResNet-style dual net",
}

_RC = {
    "font.family": "DejaVu Sans",  # ships with matplotlib, so every machine renders the same glyphs
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,  # TrueType text stays editable in illustrator-type tools
    "savefig.bbox": "tight",
}


def figure_style():
    """A context manager that applies the shared rcParams without leaking them into the caller."""
    return matplotlib.rc_context(_RC)


def colour(network: str) -> str:
    return PALETTE.get(network, "#000000")


def label(network: str) -> str:
    return LABELS.get(network, network)


def draw_line(ax, rows, key_label, color, style="-"):
    """Values by depth, with their error bars, as one labelled line."""
    rows = sorted(rows, key=lambda r: r["depth"])
    x = [r["depth"] for r in rows]
    y = np.array([r["value"] for r in rows])
    lo = np.maximum(0, y - np.array([r["err_low"] for r in rows]))  # a mean can lie outside
    hi = np.maximum(0, np.array([r["err_high"] for r in rows]) - y)  # a percentile interval
    ax.errorbar(
        x, y, yerr=[lo, hi], marker="o", ms=3, ls=style, color=color, label=key_label, capsize=2
    )
    ax.set_xticks(x, [r["layer"] for r in rows], rotation=60)
