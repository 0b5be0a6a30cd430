"""The look shared by every figure: one colour and one label per network, and the rcParams."""
from __future__ import annotations

import matplotlib

# A network keeps its colour across figures so a reader can follow it from panel to panel.
PALETTE = {
    "face": "#d7301f",
    "object": "#2166ac",
    "dual": "#762a83",
    "untrained": "#7f7f7f",
    "food": "#e08214",
    "car": "#1b7837",
}

LABELS = {
    "face": "Face net",
    "object": "Object net",
    "dual": "Dual net",
    "untrained": "Untrained",
    "food": "Food net",
    "car": "Car net",
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
