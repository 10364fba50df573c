#!/usr/bin/env python3
"""
Builds data/fonts/TaiMatSans-Regular.ttf, the one font the server-side charts are drawn with
(src/charts/render.ts): Noto Sans (Latin with Vietnamese) and Noto Sans Khmer merged into a single
font, so resvg never falls back between fonts (its fallback breaks Khmer clusters and mixed texts).

Run once when the source fonts change; the result is committed (nothing is built at install):
    /usr/bin/python3 scripts/build-chart-font.py   # needs Debian's python3-fonttools
Sources (SIL Open Font License 1.1, no reserved font name; see data/fonts/OFL-*.txt):
    data/fonts/src/NotoSans-Regular.ttf       (notofonts/latin-greek-cyrillic)
    data/fonts/src/NotoSansKhmer-Regular.ttf  (notofonts/khmer)
"""
import os
from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "data", "fonts", "src")
OUT = os.path.join(ROOT, "data", "fonts", "TaiMatSans-Regular.ttf")
TMP = os.path.join(ROOT, "data", "tmp")
FAMILY = "Tai Mat Sans"

# Latin, Latin-1, Latin Extended-A/B (Vietnamese ơ ư), combining marks, Vietnamese (U+1EA0–1EF9),
# general punctuation, currency (₫), arrows and a few symbols the charts use.
LATIN = "U+0000-024F,U+0300-036F,U+1E00-1EFF,U+2000-206F,U+20A0-20CF,U+2100-214F,U+2190-21FF,U+2212,U+25CC"


def subset_font(src: str, dst: str, unicodes: str) -> None:
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    font = subset.load_font(src, options)
    sub = subset.Subsetter(options)
    sub.populate(unicodes=subset.parse_unicodes(unicodes))
    sub.subset(font)
    subset.save_font(font, dst, options)


def main() -> None:
    os.makedirs(TMP, exist_ok=True)
    latin = os.path.join(TMP, "chart-latin.ttf")
    khmer = os.path.join(TMP, "chart-khmer.ttf")
    subset_font(os.path.join(SRC, "NotoSans-Regular.ttf"), latin, LATIN)
    # Khmer and Khmer symbols only: Latin comes from Noto Sans.
    subset_font(os.path.join(SRC, "NotoSansKhmer-Regular.ttf"), khmer, "U+1780-17FF,U+19E0-19FF,U+200B-200D,U+25CC")
    merged = Merger().merge([latin, khmer])
    names = merged["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 4:
            names.setName(f"{FAMILY} Regular", record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 6:
            names.setName("TaiMatSans-Regular", record.nameID, record.platformID, record.platEncID, record.langID)
    merged.save(OUT)
    os.remove(latin)
    os.remove(khmer)
    check = TTFont(OUT)
    cmap = check.getBestCmap()
    for ch in "Aaăâđêôơư ếờự ក ខ ្ ា ៀ":
        assert ch == " " or ord(ch) in cmap, f"missing {ch!r}"
    print(f"{OUT}: {os.path.getsize(OUT)} bytes, {len(check.getGlyphOrder())} glyphs")


if __name__ == "__main__":
    main()
