"""Grading: the catalog's default grade — or, for an order standing in a street with its own item list,
that list's grade — raised by what the text and the order's history say, with every reason written
down, because a grade decides who must act and is argued over."""

from __future__ import annotations

import re
from dataclasses import dataclass

from minhu.routing.models import GRADES, Category, Grade

# Words that mean someone may be hurt: the order needs departments with the means to act (fire, gas,
# power), whatever its category says.
DANGER_WORDS = ("燃气泄漏", "煤气泄漏", "燃气味", "煤气味", "漏气", "高空坠物", "坠落", "坠楼", "火情", "着火", "起火",
                "冒烟", "触电", "漏电", "电线裸露", "坍塌", "塌陷", "倒塌", "爆炸", "溺水", "危房")
# Many people at once: a matter of a building or an estate is not a grid worker's alone.
MANY_PEOPLE = re.compile(r"全小区|整栋|整个小区|整条街|全体业主|联名|多户|上百户|数百户|几十户"
                         r"|[一二三四五六七八九十百千\d]+户居民"
                         r"|[一二三四五六七八九十百千\d]{2,}名(?:业主|居民|工人|学生|家长)")
SENSITIVE_GROUPS = ("老人", "孤寡", "残疾", "孕妇", "婴儿", "儿童", "学生", "低保", "困难群众", "退役军人", "农民工")

DEFAULT_GRADE = Grade.B
# A matter that comes back unsolved rises one level: a citizen's repeat of a request left unsolved, and an
# order the callback sends back for re-handling (重办).
REPEAT_REASON = "同一事项此前未解决（重复诉求），升一级"
REHANDLE_REASON = "回访未解决或不满意，重办升一级"


@dataclass(frozen=True)
class GradeDecision:
    grade: Grade
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ListedItem:
    """An item of a street's own list (catalog view), as routing reads it: its grade replaces the category's
    default for orders standing in that street."""

    street_id: int
    view_name: str  # 水果湖街 A 类清单
    section: str
    item: str  # the item as the list words it: 楼道堆物
    category_code: str
    grade: Grade


def listed_item(items: dict[tuple[int, str], list[ListedItem]], street_id: int | None,
                category: Category | None) -> ListedItem | None:
    """The street's item that grades an order of ``category``: the one on the most specific category
    (the order's own, then its parent, then its first level); of two items there, the higher grade.

    ``items`` is keyed by (street id, category code), each list in the order the lists give them.
    """
    if street_id is None or category is None:
        return None
    code = category.code
    while code:
        found = items.get((street_id, code))
        if found:
            # max() keeps the first of equals: the earlier item names the reason.
            return max(found, key=lambda listed: GRADES.index(listed.grade))
        code = code[:-2]
    return None


def _raise(grade: Grade, steps: int = 1, *, at_least: Grade | None = None, at_most: Grade = Grade.D) -> Grade:
    index = min(GRADES.index(grade) + steps, GRADES.index(at_most))
    if at_least is not None:
        index = max(index, GRADES.index(at_least))
    return GRADES[max(index, GRADES.index(grade))]


def grade_order(text: str, category: Category | None, *, listed: ListedItem | None = None,
                repeat_unsolved: bool = False, escalated: bool = False) -> GradeDecision:
    """The grade of an order and why: the street's list item or the category's default, then each rule
    that raised it."""
    if listed is not None:
        grade = listed.grade
        reasons = [f"{listed.view_name}“{listed.item}”定为 {grade.value} 级"]
    elif category is not None:
        grade = category.grade
        reasons = [f"分类“{category.name}”默认 {grade.value} 级"]
    else:
        grade = DEFAULT_GRADE
        reasons = [f"未能确定分类，按 {grade.value} 级"]
    danger = [w for w in DANGER_WORDS if w in text]
    if danger:
        raised = _raise(grade, 0, at_least=Grade.C)
        if raised != grade:
            reasons.append(f"含危险情形“{danger[0]}”，至少 C 级（需职能部门处置）")
            grade = raised
        else:
            reasons.append(f"含危险情形“{danger[0]}”")
    many = MANY_PEOPLE.search(text)
    if many:
        raised = _raise(grade)
        reasons.append(f"涉及多人多户（“{many.group(0)}”），升一级" if raised != grade else
                       f"涉及多人多户（“{many.group(0)}”）")
        grade = raised
    group = next((g for g in SENSITIVE_GROUPS if g in text), None)
    if group and grade is Grade.A:
        # Care, not a different owner: an A matter touching the old or the sick goes to the street.
        grade = Grade.B
        reasons.append(f"涉及特殊群体（{group}），A 级升为 B 级")
    if repeat_unsolved:
        raised = _raise(grade)
        reasons.append(REPEAT_REASON if raised != grade else "同一事项此前未解决（重复诉求），已是最高等级")
        grade = raised
    if escalated:
        raised = _raise(grade)
        reasons.append("已被申请升级，升一级")
        grade = raised
    return GradeDecision(grade, tuple(reasons))


def rehandled(grade: Grade | None) -> GradeDecision:
    """The grade of an order sent back for re-handling (重办): one level above its own (D stays D), with the
    reason. An order never graded counts from the default."""
    current = grade or DEFAULT_GRADE
    raised = _raise(current)
    return GradeDecision(raised, (REHANDLE_REASON if raised != current else "重办，已是最高等级",))
