"""Roles, unit kinds and their zh-CN labels."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    DISPATCHER = "dispatcher"
    # The street's sub-centre (街道分中心): receives what the district sends the street and dispatches it inside.
    STREET_DISPATCHER = "street_dispatcher"
    HANDLER = "handler"
    GRIDWORKER = "gridworker"
    LEADER = "leader"
    REVIEWER = "reviewer"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.OPERATOR: "话务员",
    Role.DISPATCHER: "派单员",
    Role.STREET_DISPATCHER: "街道派单员",
    Role.HANDLER: "承办人",
    Role.GRIDWORKER: "网格员",
    Role.LEADER: "领导",
    Role.REVIEWER: "回访员",
    Role.ADMIN: "管理员",
}

# Roles of the command centre: they work on every order of the installation, wherever it stands.
CENTRE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.REVIEWER, Role.ADMIN})

# Roles that see a citizen's full phone number without asking (they call citizens back).
PHONE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.REVIEWER})


class UnitKind(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    CENTRE = "centre"
    DEPARTMENT = "department"
    OFFICE = "office"
    ENFORCEMENT = "enforcement"
    PROPERTY = "property"
    COMMITTEE = "committee"


UNIT_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.CITY: "市",
    UnitKind.DISTRICT: "区",
    UnitKind.STREET: "街道",
    UnitKind.COMMUNITY: "社区",
    UnitKind.GRID: "网格",
    UnitKind.CENTRE: "指挥中心",
    UnitKind.DEPARTMENT: "职能部门",
    UnitKind.OFFICE: "街道科室",
    UnitKind.ENFORCEMENT: "综合执法中心",
    UnitKind.PROPERTY: "物业公司",
    UnitKind.COMMITTEE: "业委会",
}

# Units to which an order can be dispatched (the centre keeps, it does not receive).
DISPATCHABLE_KINDS = frozenset({UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID, UnitKind.DEPARTMENT,
                                UnitKind.OFFICE, UnitKind.ENFORCEMENT, UnitKind.PROPERTY})

# The territorial tree: each level tiles its parent, and an order's place is found in it.
TERRITORIAL_KINDS = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)


class GridKind(StrEnum):
    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    CONSTRUCTION = "construction"
    OTHER = "other"


GRID_KIND_LABELS: dict[GridKind, str] = {
    GridKind.RESIDENTIAL: "住宅格",
    GridKind.COMMERCIAL: "商业格",
    GridKind.CONSTRUCTION: "建设格",
    GridKind.OTHER: "其他",
}
