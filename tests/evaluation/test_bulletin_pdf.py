"""The bulletin's PDF shows its Chinese: the text is there and its characters are drawn as glyphs, not boxes.

A PDF can hold the right text and still print every Chinese character as the same empty box (tofu) when no
font with CJK glyphs was found — WeasyPrint does not fail then. So the title on page 1 is rendered to an image
(pypdfium2) and checked two ways:

* the title area holds enough dark pixels (a missing font with no .notdef glyph draws nothing at all);
* each character's drawing, cut out at the box the PDF gives it and scaled to a common size, differs from the
  drawings of the other characters, while the title's two 月 match each other. Boxes would make every
  character look alike — as alike as the two 月 — so the two distances, measured on the same page, tell a
  drawn title from a row of boxes whatever the rendering's anti-aliasing.

Rendering the title again in a font that lacks CJK was not used as the contrast: fontconfig would quietly fall
back to the CJK font, so the "bad" rendering would not be bad.
"""

from __future__ import annotations

import shutil
import subprocess
from itertools import combinations

import pypdfium2
import pytest
from PIL import Image, ImageChops, ImageStat

from minhu.evaluation import bulletin, bulletin_files, policies, rates
from tests.evaluation.bulletin_city import make_bulletin_city
from tests.preflight import missing

TITLE = "武昌区接诉即办工作月度通报（2026年10月）"
SCALE = 4


def _cjk_font_installed() -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True, check=False)
    return "Noto Sans CJK SC" in listed.stdout


@pytest.fixture(autouse=True)
def _cjk_font() -> None:
    if not _cjk_font_installed():
        missing("the Noto Sans CJK SC font is missing: make browser-deps (fonts-noto-cjk)")


def _glyph(image: Image.Image, box: tuple[float, float, float, float], page_height: float) -> Image.Image:
    left, bottom, right, top = box
    crop = image.crop((int(left * SCALE), int((page_height - top) * SCALE),
                       int(right * SCALE) + 1, int((page_height - bottom) * SCALE) + 1))
    return crop.convert("L").resize((32, 32))


def _distance(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(a, b)).mean[0])


def test_the_pdf_title_is_drawn_in_chinese_glyphs(db):
    make_bulletin_city(db)
    with db.read() as session:
        document = bulletin.build(session, policies.resolve(session, None), rates.month(2026, 10))
    pdf = pypdfium2.PdfDocument(bulletin_files.pdf(document))
    page = pdf[0]
    text = page.get_textpage()
    content = text.get_text_range()
    assert TITLE in content
    start = content.index(TITLE)
    image = page.render(scale=SCALE).to_pil()
    height = page.get_height()

    boxes = [text.get_charbox(start + i) for i in range(len(TITLE))]
    left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
    area = image.crop((int(left * SCALE), int((height - top) * SCALE), int(right * SCALE),
                       int((height - bottom) * SCALE))).convert("L")
    dark = sum(area.histogram()[:160]) / (area.width * area.height)
    assert dark > 0.05, f"the title area is almost blank ({dark:.1%} dark)"

    chinese = [i for i, ch in enumerate(TITLE) if "\u4e00" <= ch <= "\u9fff"]
    glyphs = {i: _glyph(image, boxes[i], height) for i in chinese}
    months = [i for i in chinese if TITLE[i] == "月"]
    same = _distance(glyphs[months[0]], glyphs[months[1]])
    different = [_distance(glyphs[a], glyphs[b]) for a, b in combinations(chinese, 2) if TITLE[a] != TITLE[b]]
    assert min(different) > 3 * max(same, 1.0), (same, min(different))
