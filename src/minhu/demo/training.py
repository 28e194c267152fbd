"""The demo's classifier, trained before the demo's orders are routed: from the labelled messages when the file
is at hand, else from examples written out of the catalog's keywords (a weak model, but every step of routing
can be seen).

Loading the demo routes its live orders through intake like any order; trained first, their suggestions come
from the model, and the sure ones dispatch themselves, so the quality page (分类质量) shows a real share of
auto-dispatch rather than a keyword-only zero.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from minhu.routing import catalog, classifier

# Where the labelled messages sit beside a checkout (see the data folder's README); never in the repository.
DEFAULT_DATA = Path("../shared/data/messages_train.csv")


@dataclass(frozen=True)
class Trained:
    """The model in use after ``ensure_classifier``: trained now from ``source``, or the one already kept."""

    version: str
    source: str
    trained_now: bool


def catalog_examples() -> list[classifier.Example]:
    """Training rows written out of the default catalog's keywords, labelled by first-level name: what
    the demo learns from when the labelled messages are not at hand."""
    parsed = catalog.read_catalog()
    names = {row.code: row.name for row in parsed.rows if len(row.code) == 2}
    rng = random.Random(7)
    templates = ("{a}的问题很严重，{b}，希望尽快处理。", "反映{a}：{b}，已经持续一段时间。", "关于{a}和{b}的诉求",
                 "我家附近{a}，{b}，请相关部门解决。")
    examples = []
    for row in parsed.rows:
        if not row.keywords:
            continue
        for _ in range(6):
            a, b = rng.choice(row.keywords), rng.choice(row.keywords)
            examples.append(classifier.Example(f"{a}问题", rng.choice(templates).format(a=a, b=b), names[row.code[:2]]))
    return examples


def training_examples(data: Path) -> tuple[list[classifier.Example], str]:
    """The rows to learn from and a line saying where they come from. Raises InvalidInput for a bad file."""
    if data.is_file():
        examples = classifier.read_examples(data.read_bytes(), source=str(data))
        return examples, f"{data}（{len(examples)} 条标注留言）"
    examples = catalog_examples()
    return examples, f"演示目录关键词生成的 {len(examples)} 条样例（未找到 {data}）"


def ensure_classifier(models_dir: Path, data: Path = DEFAULT_DATA, *, force: bool = False,
                      say: Callable[[str], object] | None = None) -> Trained:
    """Make a classifier current under ``models_dir`` unless one already is (or ``force``). ``say`` is told
    what is trained from before the fit, which takes a while."""
    current = classifier.current(models_dir)
    if current is not None and not force:
        return Trained(current.version, "", trained_now=False)
    examples, source = training_examples(data)
    if say is not None:
        say(f"正在训练分类模型：{source} …")
    model = classifier.train(examples)
    classifier.save(model, models_dir)
    return Trained(model.version, source, trained_now=True)
