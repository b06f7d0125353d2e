"""Draw the example coverage map of docs/how-to/london-map.md to docs/img/coverage-map.png.

A seeded synthetic cohort (no real people) matched with a one-hour common-time
rule, drawn with `pairmatch.maps.draw_coverage_map`. Run from anywhere:

    python docs/scripts/draw_coverage_map.py [output.png]

Needs matplotlib (the ``report`` extra).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pairmatch as pm
from pairmatch.maps import draw_coverage_map

OUT = Path(__file__).resolve().parents[1] / "img" / "coverage-map.png"


def main(out: Path = OUT) -> Path:
    problem = pm.synthetic_problem(400, 300, seed=1, rules=pm.Rules(min_overlap_minutes=60))
    figure = draw_coverage_map(pm.solve(problem))
    figure.savefig(out, dpi=80, metadata={"Software": None})
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
