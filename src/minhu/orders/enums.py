"""Enumerations of a work order shared by the domains above it, with their zh-CN labels."""

from __future__ import annotations

from enum import StrEnum

from minhu.routing.models import GRADE_LABELS as GRADE_LABELS  # the grade belongs to routing, which sets it
from minhu.routing.models import Grade as Grade


class Channel(StrEnum):
    HOTLINE = "hotline"
    WEB_BOARD = "web_board"
    MOBILE = "mobile"
    GRID_PATROL = "grid_patrol"
    # What residents bring their property company or owners' committee (物业、业委会), registered by its own account.
    NEIGHBOURHOOD = "neighbourhood"
    LEADER_MAILBOX = "leader_mailbox"
    API = "api"
    IMPORT = "import"


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.HOTLINE: "12345热线",
    Channel.WEB_BOARD: "网上留言板",
    Channel.MOBILE: "移动端",
    Channel.GRID_PATROL: "网格巡查",
    Channel.NEIGHBOURHOOD: "物业/业委会代报",
    Channel.LEADER_MAILBOX: "领导信箱",
    Channel.API: "系统对接",
    Channel.IMPORT: "批量导入",
}


class OrderType(StrEnum):
    COMPLAINT = "complaint"
    HELP = "help"
    CONSULTATION = "consultation"
    SUGGESTION = "suggestion"
    REPORT = "report"
    PRAISE = "praise"


ORDER_TYPE_LABELS: dict[OrderType, str] = {
    OrderType.COMPLAINT: "投诉",
    OrderType.HELP: "求助",
    OrderType.CONSULTATION: "咨询",
    OrderType.SUGGESTION: "建议",
    OrderType.REPORT: "举报",
    OrderType.PRAISE: "表扬",
}


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


URGENCY_LABELS: dict[Urgency, str] = {
    Urgency.NORMAL: "一般",
    Urgency.URGENT: "紧急",
    Urgency.EMERGENCY: "特急",
}




class Resolution(StrEnum):
    RESOLVED = "resolved"
    PARTLY = "partly"
    UNRESOLVED = "unresolved"


RESOLUTION_LABELS: dict[Resolution, str] = {
    Resolution.RESOLVED: "已解决",
    Resolution.PARTLY: "部分解决",
    Resolution.UNRESOLVED: "未解决",
}


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY = "basically"
    UNSATISFIED = "unsatisfied"


SATISFACTION_LABELS: dict[Satisfaction, str] = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY: "基本满意",
    Satisfaction.UNSATISFIED: "不满意",
}


class CallbackMethod(StrEnum):
    PHONE = "phone"
    ONLINE = "online"
    VISIT = "visit"


CALLBACK_METHOD_LABELS: dict[CallbackMethod, str] = {
    CallbackMethod.PHONE: "电话回访",
    CallbackMethod.ONLINE: "网上回访",
    CallbackMethod.VISIT: "上门回访",
}


class Ruling(StrEnum):
    """The centre's review of a disputed order (诉求审核认定), which decides how it counts in the rates."""

    REASONABLE_SOLVED = "reasonable_solved"
    REASONABLE_NOT_NOW = "reasonable_not_now"
    UNREASONABLE = "unreasonable"
    OUT_OF_SCOPE = "out_of_scope"


RULING_LABELS: dict[Ruling, str] = {
    Ruling.REASONABLE_SOLVED: "诉求合理，已解决",
    Ruling.REASONABLE_NOT_NOW: "诉求合理，暂不具备解决条件（政策空白）",
    Ruling.UNREASONABLE: "诉求不合理",
    Ruling.OUT_OF_SCOPE: "不属于受理范围",
}


class UnreasonableKind(StrEnum):
    """Why a request is ruled unreasonable — Linyi's list of requests taken out of assessment."""

    OUTSIDE_JURISDICTION = "outside_jurisdiction"
    OTHER_CHANNEL = "other_channel"
    AGAINST_LAW = "against_law"
    SECRETS_PRIVACY = "secrets_privacy"
    UNTRUE = "untrue"
    BEYOND_REASON = "beyond_reason"
    HEARING = "hearing"
    MALICIOUS = "malicious"
    OTHER = "other"


UNREASONABLE_KIND_LABELS: dict[UnreasonableKind, str] = {
    UnreasonableKind.OUTSIDE_JURISDICTION: "不属于本辖区管辖",
    UnreasonableKind.OTHER_CHANNEL: "已进入诉讼、仲裁、复议或信访渠道",
    UnreasonableKind.AGAINST_LAW: "违反法律法规或政策规定",
    UnreasonableKind.SECRETS_PRIVACY: "涉及国家秘密、商业秘密或他人隐私",
    UnreasonableKind.UNTRUE: "经核实诉求不属实",
    UnreasonableKind.BEYOND_REASON: "超出合理诉求范围",
    UnreasonableKind.HEARING: "经听证认定不合理",
    UnreasonableKind.MALICIOUS: "虚假或恶意诉求",
    UnreasonableKind.OTHER: "其他",
}


class ReturnReason(StrEnum):
    NOT_OURS = "not_ours"
    OUTSIDE = "outside"
    INSUFFICIENT = "insufficient"
    DUPLICATE = "duplicate"
    OTHER = "other"


RETURN_REASON_LABELS: dict[ReturnReason, str] = {
    ReturnReason.NOT_OURS: "不属于本单位职责",
    ReturnReason.OUTSIDE: "不在本单位辖区",
    ReturnReason.INSUFFICIENT: "诉求信息不全，无法办理",
    ReturnReason.DUPLICATE: "重复工单",
    ReturnReason.OTHER: "其他",
}
