"""Regenerate docs/gallery/: one SVG per spec in specs/ at the default depth, an index page, and the
example figures docs/cli.md embeds.

    python scripts/gallery.py            # rewrite what is out of date
    python scripts/gallery.py --check    # exit 1 if anything is out of date (tests/test_draw.py runs this logic)

Each SVG carries the SHA-256 of the DOT source it was rendered from, so whether the gallery is current
is decided by the DOT text (deterministic) and never by the SVG bytes (which depend on the renderer's
version and fonts).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
GALLERY = ROOT / "docs" / "gallery"
DIGEST = re.compile(r"<!-- archdsl dot sha256: ([0-9a-f]{64}) -->")


@dataclass(frozen=True)
class Figure:
    """One picture: which spec, how it is drawn, and where it goes."""

    spec: Path
    out: Path
    options: dict = field(default_factory=dict)
    caption: str = ""


def figures() -> list[Figure]:
    """Every spec at the default depth, plus docs/cli.md's examples."""
    specs = sorted([*SPECS.glob("*.arch"), *SPECS.glob("*.yaml")])
    out = []
    for spec in specs:
        # resnet18.arch and resnet18.yaml both exist: the YAML one gets its own file name.
        stem = spec.stem if spec.suffix == ".arch" else f"{spec.stem}_yaml"
        out.append(Figure(spec, GALLERY / f"{stem}.svg", {}, spec.name))
    out.append(
        Figure(
            SPECS / "resnet18.arch",
            ROOT / "docs" / "images" / "draw_resnet18_layer2.svg",
            {"expand": ["layer2"]},
            "resnet18, --expand layer2",
        )
    )
    return out


def source_of(figure: Figure) -> str:
    import archdsl

    return archdsl.draw(figure.spec, **figure.options).source


def digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def recorded_digest(path: Path) -> str | None:
    if not path.exists():
        return None
    found = DIGEST.search(path.read_text(encoding="utf-8", errors="replace")[:4096])
    return found.group(1) if found else None


def stale(figs: list[Figure]) -> list[str]:
    """What is out of date: figures whose DOT changed, missing files, and SVGs of removed specs."""
    problems = [
        f"{f.out.relative_to(ROOT)} is out of date" for f in figs if recorded_digest(f.out) != digest(source_of(f))
    ]
    expected = {f.out for f in figs}
    problems += [
        f"{p.relative_to(ROOT)} belongs to no spec" for p in sorted(GALLERY.glob("*.svg")) if p not in expected
    ]
    index = GALLERY / "README.md"
    if not index.exists() or index.read_text(encoding="utf-8") != index_page(figs):
        problems.append(f"{index.relative_to(ROOT)} is out of date")
    return problems


def render(figure: Figure) -> None:
    """Render one figure to SVG and stamp it with its DOT digest (after the XML declaration)."""
    from archdsl.backends.render import render as render_dot

    source = source_of(figure)
    svg = render_dot(source, "svg").decode("utf-8")
    stamp = f"<!-- archdsl dot sha256: {digest(source)} -->\n"
    head, sep, rest = svg.partition("?>\n")
    svg = head + sep + stamp + rest if sep else stamp + svg
    figure.out.parent.mkdir(parents=True, exist_ok=True)
    figure.out.write_text(svg, encoding="utf-8")


def index_page(figs: list[Figure]) -> str:
    lines = [
        "# Gallery",
        "",
        "Every spec in `specs/` drawn by `archdsl draw SPEC -o OUT.svg` at the default depth (blocks and stages",
        "closed, repeated blocks counted). Regenerate with `python scripts/gallery.py`; a test fails when a",
        "picture is out of date. Open one for tooltips (module paths, parameter counts); draw deeper with",
        "`--depth N`, `--depth all` or `--expand NAME` (see [docs/cli.md](../cli.md#draw)).",
        "",
    ]
    for fig in figs:
        if fig.out.parent == GALLERY:
            lines += [f"## {fig.spec.name}", "", f"![{fig.spec.name}]({fig.out.name})", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report what is out of date; change nothing")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    figs = figures()
    if args.check:
        problems = stale(figs)
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    for fig in figs:
        if recorded_digest(fig.out) != digest(source_of(fig)):
            render(fig)
            print(f"wrote {fig.out.relative_to(ROOT)}")
    expected = {f.out for f in figs}
    for orphan in sorted(GALLERY.glob("*.svg")):
        if orphan not in expected:
            orphan.unlink()
            print(f"removed {orphan.relative_to(ROOT)}")
    (GALLERY / "README.md").write_text(index_page(figs), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
