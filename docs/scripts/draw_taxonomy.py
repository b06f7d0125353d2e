"""Draw the default focus-area taxonomy to docs/img/taxonomy.png.

Each link is numbered as in the table of docs/geography-and-topics.md, so a
reader can look up its reason. Broad themes are drawn dark; the pilot's
three topics are outlined in red. Run from anywhere:

    python docs/scripts/draw_taxonomy.py [output.png]

Needs matplotlib (the ``report`` extra).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import networkx as nx

from pairmatch.datasets import default_taxonomy

OUT = Path(__file__).resolve().parents[1] / "img" / "taxonomy.png"
THEMES = {
    "violent crime",
    "violence against women and girls",
    "safeguarding",
    "community safety",
    "equality and inclusion",
    "trust and confidence",
}
PILOT = {"knife crime", "domestic abuse", "social inequality"}


def _wrap(topic: str) -> str:
    """Long names on two lines, split at the space nearest the middle."""
    if len(topic) <= 16:
        return topic
    spaces = [k for k, c in enumerate(topic) if c == " "]
    cut = min(spaces, key=lambda k: abs(k - len(topic) / 2))
    return topic[:cut] + "\n" + topic[cut + 1 :]


def draw(path: Path = OUT) -> Path:
    tax = default_taxonomy()
    graph = tax.graph
    # Kamada-Kawai keeps linked topics close and is deterministic for a given graph.
    pos = nx.kamada_kawai_layout(graph)
    fig, ax = plt.subplots(figsize=(14, 10.5), layout="tight")
    nx.draw_networkx_edges(graph, pos, ax=ax, edge_color="#9aa8b8", width=1.4)
    numbers = {(link.a, link.b): str(k) for k, link in enumerate(tax.links, 1)}
    nx.draw_networkx_edge_labels(
        graph,
        pos,
        edge_labels=numbers,
        ax=ax,
        font_size=8,
        font_color="#34495e",
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
    )
    for topic, (x, y) in pos.items():
        theme, pilot = topic in THEMES, topic in PILOT
        ax.text(
            x,
            y,
            _wrap(topic),
            ha="center",
            va="center",
            fontsize=9,
            zorder=3,
            color="white" if theme else "#1c2833",
            fontweight="bold" if theme else "normal",
            bbox={
                "boxstyle": "round,pad=0.45",
                "fc": "#3b6ea5" if theme else "#dfe7f1",
                "ec": "#c0392b" if pilot else "#7f93a8",
                "lw": 2.5 if pilot else 0.8,
            },
        )
    ax.set_title(
        f"Default focus-area taxonomy: {len(tax.topics)} topics, {len(tax.links)} links "
        f"(relatedness {tax.decay:g} per link, 0 beyond {tax.max_distance} links)\n"
        "dark: broad themes; red outline: the 2021 pilot's three topics; "
        "numbers: links in the table of docs/geography-and-topics.md",
        fontsize=11,
    )
    ax.axis("off")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
