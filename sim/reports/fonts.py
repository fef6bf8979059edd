"""Fonts for figures: Latin text in DejaVu Sans, Chinese names (米粉节, 微博) in a CJK font.

matplotlib's bundled DejaVu Sans has no CJK glyphs: a Chinese channel or campaign name would be
drawn as empty boxes ("tofu"). `make fonts` (called by `make demo` and `make test`) installs
Debian's WenQuanYi Micro Hei; any other installed font that covers the probe characters works
too. matplotlib falls back glyph by glyph along `font.family`, so Latin text keeps its usual look.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

__all__ = ["CJK_PROBE", "CjkFont", "find_cjk_font", "rc_params"]

CJK_PROBE = "米粉节微博小米手机客服"
# file names of common CJK fonts, preferred first (Debian: fonts-wqy-microhei, fonts-noto-cjk)
_KNOWN = (
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSansSC-Regular.otf",
    "SourceHanSansSC-Regular.otf",
    "DroidSansFallbackFull.ttf",
)


@dataclass(frozen=True)
class CjkFont:
    """An installed font file that covers the probe characters, and its family name."""

    path: Path
    family: str


def _covers(path: Path, text: str) -> bool:
    try:
        charmap = FT2Font(str(path)).get_charmap()
    except (OSError, RuntimeError):
        return False
    return all(ord(c) in charmap for c in text)


def find_cjk_font() -> CjkFont | None:
    """The first known CJK font installed on this machine, registered with matplotlib.

    Registering the file directly (instead of trusting matplotlib's font cache) means a font
    installed after the cache was built is still found.
    """
    by_name = {Path(p).name: Path(p) for p in font_manager.findSystemFonts()}
    for name in _KNOWN:
        path = by_name.get(name)
        if path is not None and _covers(path, CJK_PROBE):
            font_manager.fontManager.addfont(str(path))
            family = font_manager.FontProperties(fname=str(path)).get_name()
            return CjkFont(path, family)
    return None


def rc_params(cjk: CjkFont | None) -> dict[str, Any]:
    """Matplotlib settings for every report figure: fonts, deterministic SVG, quiet styling.

    SVG text becomes paths, so the browser needs no font to show the figures; a fixed hash salt
    and no date keep the same data producing the same bytes.
    """
    families = ["DejaVu Sans"] + ([cjk.family] if cjk is not None else [])
    return {
        "font.family": families,
        "font.size": 9.0,
        "axes.titlesize": 10.0,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.frameon": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "fansim-report",
        "figure.dpi": 100.0,
        "savefig.dpi": 150.0,
    }
