"""The demo's people who answer orders besides its named personas: a handler (承办人) in every street, street
enforcement centre, department, property company and community, and a grid worker (网格员) account for each of
积玉桥街's grids, named as the people file names the grid's worker (the post then points at the account).

They share the demo password. Its hash is computed once for all of them: hashing ~280 passwords one by one
would add half a minute to ``minhu demo load``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core import security
from minhu.geo.models import Post, PostKind
from minhu.org.models import Unit, User
from minhu.org.roles import Role, UnitKind

# Department code suffix → login name stem (pinyin), for the departments without a named persona.
DEPARTMENT_LOGINS = {"城管": "chengguan", "住建": "zhujian", "市监": "shijian", "环保": "huanbao", "交管": "jiaoguan",
                     "水务": "shuiwu", "人社": "renshe", "教育": "jiaoyu", "卫健": "weijian", "房管": "fangguan",
                     "公安": "gongan", "应急": "yingji", "消防": "xiaofang", "民政": "minzheng", "交通": "jiaotong",
                     "文旅": "wenlv", "规划": "guihua", "医保": "yibao"}
HANDLER_KINDS = (UnitKind.STREET, UnitKind.ENFORCEMENT, UnitKind.DEPARTMENT, UnitKind.PROPERTY, UnitKind.COMMUNITY)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈"
_GIVEN = ("伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华",
          "平", "刚", "桂英", "玉兰", "志强", "建华", "晓东", "雪", "婷", "鹏", "辉", "倩")


@dataclass
class Staff:
    """Who answers for a unit: its handler (by unit id), and each grid's worker (by grid id) where one has an
    account."""

    handlers: dict[int, User] = field(default_factory=dict)
    grid_workers: dict[int, User] = field(default_factory=dict)


def _login(unit: Unit, index: int) -> str:
    code = unit.code
    if unit.kind is UnitKind.DEPARTMENT:
        return DEPARTMENT_LOGINS.get(code.rsplit("-", 1)[-1], f"bumen{index}")
    if unit.kind is UnitKind.STREET:
        return f"jd{code[6:9]}"
    if unit.kind is UnitKind.ENFORCEMENT:
        return f"zf{code[6:9]}"
    if unit.kind is UnitKind.COMMUNITY:
        return f"sq{code[6:12]}"
    return f"wy{index:02d}"  # property companies


def build_staff(session: Session, units: dict[str, Unit], existing: list[User], *, grid_street: str,
                password: str) -> Staff:
    """Accounts for every unit that receives orders and has none yet, and for ``grid_street``'s grid workers."""
    rng = random.Random(4201060)
    staff = Staff()
    for user in existing:
        if user.role is Role.GRIDWORKER:
            staff.grid_workers[user.unit_id] = user
        elif user.role is Role.HANDLER:
            staff.handlers.setdefault(user.unit_id, user)
    taken = {u.username for u in existing}
    password_hash = security.hash_password(password)
    new: list[User] = []

    def add(username: str, full_name: str, role: Role, unit: Unit) -> User:
        user = User(username=username, full_name=full_name, role=role, unit=unit, unit_id=unit.id,
                    password_hash=password_hash)
        taken.add(username)
        new.append(user)
        return user

    ordered = sorted((u for u in units.values() if u.kind in HANDLER_KINDS), key=lambda u: u.code)
    for index, unit in enumerate(ordered, start=1):
        if unit.id in staff.handlers:
            continue
        login = _login(unit, index)
        if login in taken:
            login = f"{login}{index}"
        staff.handlers[unit.id] = add(login, f"承办人 {rng.choice(_SURNAMES)}{rng.choice(_GIVEN)}", Role.HANDLER, unit)
    street = units[grid_street]
    posts = session.scalars(select(Post).where(Post.kind == PostKind.GRID_WORKER.value, Post.ends_on.is_(None),
                                               Post.user_id.is_(None))).all()
    by_grid = {p.unit_id: p for p in posts if p.unit_id is not None}
    grids = sorted((u for u in units.values() if u.kind is UnitKind.GRID and u.is_within(street)), key=lambda u: u.code)
    for grid in grids:
        post = by_grid.get(grid.id)
        if grid.id in staff.grid_workers or post is None:
            continue
        staff.grid_workers[grid.id] = add(f"wg{grid.code[6:15]}", f"网格员 {post.person}", Role.GRIDWORKER, grid)
    session.add_all(new)
    session.flush()
    for grid_id, user in staff.grid_workers.items():
        post = by_grid.get(grid_id)
        if post is not None:
            post.user_id = user.id
    session.flush()
    return staff
