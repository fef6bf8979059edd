"""One self-contained HTML page: styles inline, every figure an inline SVG data URL.

Nothing is fetched when the page opens: no CDN, no web font, no script; a Content-Security-Policy
forbids any request but `data:` images, so a stray link could not phone home either. Each figure
is its own SVG document inside an `<img>`, so ids in one figure cannot clash with another's.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass

from sim.reports.section import Finding

__all__ = ["FigureHtml", "Page", "SectionHtml", "render"]

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_CSS = """
body{font-family:"Noto Sans","DejaVu Sans","WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;
margin:0 auto;max-width:960px;padding:1.5rem;color:#222;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;
margin-top:2.2rem}h3{font-size:1rem;margin:.2rem 0}.meta{color:#666;font-size:.85rem}
.summary{background:#f5f7fa;border:1px solid #dde3ea;border-radius:6px;padding:.6rem 1rem}
.summary ul{list-style:none;padding-left:0}.summary li{margin:.35rem 0}
.badge{display:inline-block;min-width:4.2rem;text-align:center;border-radius:3px;
font-size:.75rem;font-weight:bold;padding:.05rem .3rem;margin-right:.5rem;color:#fff}
.met{background:#1b7f4b}.missed{background:#b3261e}.unsure{background:#a15c00}
.info{background:#6b7280}
figure{margin:1rem 0 1.6rem}figure img{width:100%;height:auto;display:block}
figcaption{color:#555;font-size:.85rem}.note{color:#666;font-style:italic}
nav a{margin-right:.8rem}
"""


@dataclass(frozen=True)
class FigureHtml:
    """A figure as the page shows it: its SVG bytes and the words around it."""

    name: str
    title: str
    caption: str
    svg: bytes
    files: tuple[str, ...]  # PNG and SVG paths relative to the page, for slides


@dataclass(frozen=True)
class SectionHtml:
    """A drawn section (figures may be empty when only notes apply)."""

    key: str
    title: str
    figures: tuple[FigureHtml, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    """Everything the page shows, in order."""

    title: str
    subtitle: str
    meta: str
    criteria: str
    findings: tuple[Finding, ...]
    sections: tuple[SectionHtml, ...]
    not_shown: tuple[str, ...]  # sections not drawn, grouped by the command that would add them
    sources: tuple[str, ...]
    assumptions: tuple[str, ...] = ()  # defaults the answer rests on (summary.json)


def _size(svg: bytes) -> tuple[int, int]:
    """Pixel size of a matplotlib SVG (its width and height are in points)."""
    head = svg[:2000].decode("utf-8", "replace")
    w = re.search(r'width="([\d.]+)pt"', head)
    h = re.search(r'height="([\d.]+)pt"', head)
    if not (w and h):
        return 900, 400
    return round(float(w.group(1)) * 4 / 3), round(float(h.group(1)) * 4 / 3)


def _figure(f: FigureHtml) -> str:
    e = html.escape
    width, height = _size(f.svg)
    data = base64.b64encode(f.svg).decode("ascii")
    links = " · ".join(f'<a href="{e(p)}">{e(p.rsplit(".", 1)[-1].upper())}</a>' for p in f.files)
    return (
        f'<figure id="fig-{e(f.name)}" class="figure"><h3>{e(f.title)}</h3>'
        f'<img alt="{e(f.title)}" width="{width}" height="{height}" '
        f'src="data:image/svg+xml;base64,{data}">'
        f"<figcaption>{e(f.caption)} {links}</figcaption></figure>"
    )


def _finding(f: Finding) -> str:
    label = {"met": "met", "missed": "missed", "unsure": "unsure", "info": "fact"}[f.verdict]
    return f'<li><span class="badge {f.verdict}">{label}</span>{html.escape(f.text)}</li>'


def _headline(findings: tuple[Finding, ...]) -> str:
    judged = [f for f in findings if f.verdict != "info"]
    if not judged:
        return "No target to judge in this run's files."
    met = sum(f.verdict == "met" for f in judged)
    missed = sum(f.verdict == "missed" for f in judged)
    if met == len(judged):
        return f"All {len(judged)} targets met."
    unsure = len(judged) - met - missed
    if not unsure:
        return f"{missed} of {len(judged)} targets missed."
    return f"Of {len(judged)} targets: {met} met, {missed} missed, {unsure} unsure."


def _assumed(items: tuple[str, ...]) -> str:
    if not items:
        return ""
    rows = "".join(f"<li>{html.escape(a)}</li>" for a in items)
    return (
        '<div id="assumptions"><p><strong>Resting on defaults the scenario did not set</strong> '
        "(set them to make the answer yours):</p><ul>" + rows + "</ul></div>"
    )


def render(page: Page) -> str:
    """The whole page as one string."""
    e = html.escape
    nav = " ".join(f'<a href="#{e(s.key)}">{e(s.title)}</a>' for s in page.sections if s.figures)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(page.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(page.title)}</h1>",
        f"<p>{e(page.subtitle)}</p>" if page.subtitle else "",
        f'<p class="meta">{e(page.meta)}</p>',
        '<section class="summary" id="summary"><h2>What it means</h2>',
        f"<p><strong>{e(_headline(page.findings))}</strong></p>",
        f'<p class="meta" id="criteria">{e(page.criteria)}</p>',
        "<ul>" + "".join(_finding(f) for f in page.findings) + "</ul>",
        _assumed(page.assumptions),
        "</section>",
        f"<nav>{nav}</nav>",
    ]
    for s in page.sections:
        parts.append(f'<section id="{e(s.key)}"><h2>{e(s.title)}</h2>')
        parts += [f'<p class="note">{e(n)}</p>' for n in s.notes]
        parts += [_figure(f) for f in s.figures]
        parts.append("</section>")
    if page.not_shown:  # one short paragraph: which commands would add what
        parts.append(
            '<p class="meta" id="not-shown">Not in this report (drawn when the folder holds what '
            "these commands write): " + "; ".join(e(n) for n in page.not_shown) + ".</p>"
        )
    parts.append(
        '<p class="meta">Drawn from the run folder\'s files: '
        + ", ".join(e(s) for s in page.sources)
        + ".</p></body></html>\n"
    )
    return "\n".join(p for p in parts if p)
