"""The lifecycle of a work order as one table of transitions.

Each row says which action moves an order from which states to which state, who may take it,
and what the actor must say. ``orders.service.apply_action`` (a person) and ``apply_system_action`` (the
system, on the rows marked ``by_system``) are the only code that changes a status, and they do so only
along a row of this table. docs/lifecycle.md's diagram is ``mermaid()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from minhu.orders.enums import OrderType
from minhu.org.roles import Role


class Status(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    SIGNED = "signed"
    HANDLING = "handling"
    REPLIED = "replied"
    STREET_REVIEW = "street_review"
    REVIEWED = "reviewed"
    CALLED_BACK = "called_back"
    ARCHIVED = "archived"
    RETURNED = "returned"
    ESCALATED = "escalated"
    SUSPENDED = "suspended"
    JOINED = "joined"
    VOIDED = "voided"


STATUS_LABELS: dict[Status, str] = {
    Status.NEW: "待受理",
    Status.ACCEPTED: "已受理",
    Status.DISPATCHED: "已派单",
    Status.SIGNED: "已签收",
    Status.HANDLING: "办理中",
    Status.REPLIED: "已答复待审核",
    Status.STREET_REVIEW: "待街道审核",
    Status.REVIEWED: "待回访",
    Status.CALLED_BACK: "已回访",
    Status.ARCHIVED: "已归档",
    Status.RETURNED: "已退单",
    Status.ESCALATED: "已上报市级",
    Status.SUSPENDED: "已挂起",
    Status.JOINED: "已并入主件",
    Status.VOIDED: "已作废",
}

# A joined order (已并入主件) is neither: its matter is open, but through its main order; nobody acts on it.
OPEN_STATUSES = frozenset(Status) - {Status.ARCHIVED, Status.VOIDED, Status.JOINED}


class Action(StrEnum):
    CREATE = "create"
    ACCEPT = "accept"
    DIRECT_REPLY = "direct_reply"
    DISPATCH = "dispatch"
    SIGN = "sign"
    RETURN = "return"
    HANDLE = "handle"
    REPLY = "reply"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    CALLBACK = "callback"
    RATE = "rate"
    ARCHIVE = "archive"
    REOPEN = "reopen"
    VOID = "void"
    RESTORE = "restore"
    WHISTLE = "whistle"
    REPORT = "report"
    ESCALATE = "escalate"
    ACCEPT_ESCALATION = "accept_escalation"
    REFUSE_ESCALATION = "refuse_escalation"
    ESCALATE_CITY = "escalate_city"
    CITY_FEEDBACK = "city_feedback"
    SIGN_TIMEOUT = "sign_timeout"
    SUSPEND = "suspend"
    RESUME = "resume"
    ASK_EXTENSION = "ask_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    RULE = "rule"
    MERGE = "merge"
    UNMERGE = "unmerge"
    FOLLOW = "follow"
    INNER_DISPATCH = "inner_dispatch"
    REPLY_TO_STREET = "reply_to_street"
    STREET_APPROVE = "street_approve"
    STREET_SEND_BACK = "street_send_back"
    SOLVE_ON_SPOT = "solve_on_spot"
    # Events that record without moving the order.
    ATTACH = "attach"
    VIEW_PHONE = "view_phone"
    URGE = "urge"
    OVERDUE_NOTICE = "overdue_notice"
    SUPERVISE = "supervise"
    INSTRUCT = "instruct"
    LINK_THREAD = "link_thread"
    CALLBACK_UNREACHED = "callback_unreached"
    ANONYMISE = "anonymise"


ACTION_LABELS: dict[Action, str] = {
    Action.CREATE: "登记",
    Action.ACCEPT: "受理",
    Action.DIRECT_REPLY: "直接答复",
    Action.DISPATCH: "派单",
    Action.SIGN: "签收",
    Action.RETURN: "退单",
    Action.HANDLE: "办理",
    Action.REPLY: "办结答复",
    Action.APPROVE: "审核通过",
    Action.SEND_BACK: "审核退回",
    Action.CALLBACK: "回访",
    Action.RATE: "网上直评",
    Action.ARCHIVE: "归档",
    Action.REOPEN: "重办",
    Action.VOID: "作废",
    Action.RESTORE: "恢复",
    Action.WHISTLE: "吹哨",
    Action.REPORT: "报到",
    Action.ESCALATE: "申请升级",
    Action.ACCEPT_ESCALATION: "同意升级",
    Action.REFUSE_ESCALATION: "驳回升级",
    Action.ESCALATE_CITY: "上报市级",
    Action.CITY_FEEDBACK: "市级反馈",
    Action.SIGN_TIMEOUT: "超时未签收退回",
    Action.SUSPEND: "挂起",
    Action.RESUME: "恢复办理",
    Action.ASK_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "同意延期",
    Action.REFUSE_EXTENSION: "驳回延期",
    Action.RULE: "审核认定",
    Action.MERGE: "合并重复",
    Action.UNMERGE: "撤销合并",
    Action.FOLLOW: "随主件答复",
    Action.INNER_DISPATCH: "街道内派",
    Action.REPLY_TO_STREET: "办结答复（报街道审核）",
    Action.STREET_APPROVE: "街道审核通过",
    Action.STREET_SEND_BACK: "街道审核退回",
    Action.SOLVE_ON_SPOT: "就地解决",
    Action.ATTACH: "上传附件",
    Action.VIEW_PHONE: "查看完整电话",
    Action.URGE: "催办",
    Action.OVERDUE_NOTICE: "超期提醒",
    Action.SUPERVISE: "督办",
    Action.INSTRUCT: "领导批示",
    Action.LINK_THREAD: "关联同一诉求",
    Action.CALLBACK_UNREACHED: "回访未接通",
    Action.ANONYMISE: "个人信息匿名化",
}


class Scope(StrEnum):
    """Whose orders the actor may act on."""

    CENTRE = "centre"  # the command centre acts on every order
    OWNER = "owner"  # only orders owned by the actor's unit or a unit below it
    OWNER_OR_CENTRE = "owner_or_centre"  # the owning unit, or the command centre on its behalf
    CALLED = "called"  # a unit called onto the order (吹哨) that has not yet reported
    # The level above the unit asking to raise the grade: the street for A→B, the centre for B→C.
    ESCALATION_JUDGE = "escalation_judge"
    # The centre, on an order with an extension waiting for its decision.
    EXTENSION_JUDGE = "extension_judge"
    # A street's sub-centre (街道分中心), on the orders the district sent it: those it holds itself, for a
    # dispatch inside; those it dispatched inside, for its review of the inner unit's reply.
    SUB_CENTRE = "sub_centre"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    target: Status
    roles: frozenset[Role]
    scope: Scope
    # What the actor must write (reason, reply, progress note); None when nothing is required.
    note_label: str | None = None
    # The order types the action applies to; None for every type.
    only_types: frozenset[OrderType] | None = None
    # Whether the system takes it by itself (``apply_system_action``): auto-dispatch, the sweep, a rating link.
    by_system: bool = False

    def applies_to(self, order_type: OrderType) -> bool:
        return self.only_types is None or order_type in self.only_types


def _t(action: Action, sources: set[Status], target: Status, roles: set[Role], scope: Scope,
       note_label: str | None = None, only_types: set[OrderType] | None = None, by_system: bool = False) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), scope, note_label,
                      frozenset(only_types) if only_types else None, by_system)


_S = Status
_CENTRE_INTAKE = {Role.OPERATOR, Role.DISPATCHER}
# Those who act for a unit holding an order. A street's dispatcher acts for its street as its handlers do.
_HANDLERS = {Role.HANDLER, Role.GRIDWORKER, Role.STREET_DISPATCHER}

TRANSITIONS: tuple[Transition, ...] = (
    _t(Action.ACCEPT, {_S.NEW}, _S.ACCEPTED, _CENTRE_INTAKE, Scope.CENTRE),
    _t(Action.DIRECT_REPLY, {_S.NEW, _S.ACCEPTED}, _S.ARCHIVED, _CENTRE_INTAKE, Scope.CENTRE, "答复内容",
       only_types={OrderType.CONSULTATION}),
    # The system dispatches a new order itself when routing is sure of its category and owner (自动派单).
    _t(Action.DISPATCH, {_S.ACCEPTED, _S.RETURNED}, _S.DISPATCHED, {Role.DISPATCHER}, Scope.CENTRE, by_system=True),
    # A street holding an order an inner unit returned to it (退回街道) takes it on itself by signing, or
    # returns it to the centre within its own return period.
    _t(Action.SIGN, {_S.DISPATCHED, _S.RETURNED}, _S.SIGNED, _HANDLERS, Scope.OWNER),
    _t(Action.RETURN, {_S.DISPATCHED, _S.SIGNED, _S.HANDLING, _S.RETURNED}, _S.RETURNED, _HANDLERS, Scope.OWNER,
       "退单理由"),
    _t(Action.HANDLE, {_S.SIGNED, _S.HANDLING}, _S.HANDLING, _HANDLERS, Scope.OWNER, "办理情况"),
    _t(Action.REPLY, {_S.SIGNED, _S.HANDLING}, _S.REPLIED, _HANDLERS, Scope.OWNER, "答复内容"),
    # 街道分中心 (双派): the street dispatches what the district sent it inside — to an office, its enforcement
    # centre, a community or a grid — or, when it wants it, the system does for A-level orders (内派). An
    # inner unit's reply goes to the street's review first when the street says so (REPLY taken as
    # REPLY_TO_STREET, which no role takes by its own name), then to the centre's as every reply does.
    _t(Action.INNER_DISPATCH, {_S.DISPATCHED, _S.SIGNED, _S.HANDLING, _S.RETURNED}, _S.DISPATCHED,
       {Role.STREET_DISPATCHER}, Scope.SUB_CENTRE, by_system=True),
    _t(Action.REPLY_TO_STREET, {_S.SIGNED, _S.HANDLING}, _S.STREET_REVIEW, set(), Scope.OWNER, "答复内容"),
    _t(Action.STREET_APPROVE, {_S.STREET_REVIEW}, _S.REPLIED, {Role.STREET_DISPATCHER}, Scope.SUB_CENTRE),
    _t(Action.STREET_SEND_BACK, {_S.STREET_REVIEW}, _S.HANDLING, {Role.STREET_DISPATCHER}, Scope.SUB_CENTRE,
       "退回理由"),
    # 就地解决: an A-level matter a grid worker found and solved where it was is registered and replied in one step,
    # by the grid worker who reports it, on their own grid (taken at registration by ``lifecycle.solve_on_the_spot``
    # only, so no role takes it by name); the centre reviews the reply and the citizen is asked as for any other.
    _t(Action.SOLVE_ON_SPOT, {_S.NEW}, _S.REPLIED, set(), Scope.OWNER, "处置情况"),
    _t(Action.APPROVE, {_S.REPLIED}, _S.REVIEWED, {Role.DISPATCHER}, Scope.CENTRE),
    _t(Action.SEND_BACK, {_S.REPLIED}, _S.HANDLING, {Role.DISPATCHER}, Scope.CENTRE, "退回理由"),
    _t(Action.CALLBACK, {_S.REVIEWED}, _S.CALLED_BACK, {Role.REVIEWER}, Scope.CENTRE),
    # An unanswered call (回访未接通) is taken as a CALLBACK that reached nobody, before the last try allowed: the
    # order keeps waiting for the next (no role takes it by its own name).
    _t(Action.CALLBACK_UNREACHED, {_S.REVIEWED}, _S.REVIEWED, set(), Scope.CENTRE),
    # 网上直评: the citizen answers through the rating link sent at approval (no role: the link's token is the
    # authority, taken by evaluation.rating_links only).
    _t(Action.RATE, {_S.REVIEWED}, _S.CALLED_BACK, set(), Scope.CENTRE, by_system=True),
    _t(Action.ARCHIVE, {_S.CALLED_BACK}, _S.ARCHIVED, {Role.REVIEWER, Role.DISPATCHER}, Scope.CENTRE),
    _t(Action.REOPEN, {_S.CALLED_BACK}, _S.DISPATCHED, {Role.REVIEWER, Role.DISPATCHER}, Scope.CENTRE,
       "重办理由"),
    _t(Action.VOID, {_S.NEW, _S.ACCEPTED, _S.RETURNED}, _S.VOIDED, _CENTRE_INTAKE, Scope.CENTRE, "作废理由"),
    _t(Action.RESTORE, {_S.VOIDED}, _S.ACCEPTED, {Role.DISPATCHER}, Scope.CENTRE, "恢复理由"),
    # 吹哨报到: the lead unit (or the centre for it) calls other units onto the order; each reports its part.
    _t(Action.WHISTLE, {_S.SIGNED, _S.HANDLING}, _S.HANDLING, _HANDLERS | {Role.DISPATCHER}, Scope.OWNER_OR_CENTRE,
       "吹哨事由"),
    _t(Action.REPORT, {_S.SIGNED, _S.HANDLING}, _S.HANDLING, _HANDLERS, Scope.CALLED, "报到情况"),
    # 升级: the owning unit asks to raise the grade; the level above takes the order on (and dispatches it
    # anew) or refuses. The centre sends what the district cannot solve to the city (D), whose answer
    # comes back as the reply.
    _t(Action.ESCALATE, {_S.SIGNED, _S.HANDLING}, _S.HANDLING, _HANDLERS, Scope.OWNER, "升级理由"),
    _t(Action.ACCEPT_ESCALATION, {_S.SIGNED, _S.HANDLING}, _S.DISPATCHED,
       {Role.HANDLER, Role.STREET_DISPATCHER, Role.DISPATCHER}, Scope.ESCALATION_JUDGE),
    _t(Action.REFUSE_ESCALATION, {_S.SIGNED, _S.HANDLING}, _S.HANDLING,
       {Role.HANDLER, Role.STREET_DISPATCHER, Role.DISPATCHER},
       Scope.ESCALATION_JUDGE, "驳回理由"),
    _t(Action.ESCALATE_CITY, {_S.ACCEPTED, _S.RETURNED, _S.SIGNED, _S.HANDLING}, _S.ESCALATED, {Role.DISPATCHER},
       Scope.CENTRE, "上报说明"),
    _t(Action.CITY_FEEDBACK, {_S.ESCALATED}, _S.REPLIED, {Role.DISPATCHER}, Scope.CENTRE, "市级答复"),
    # Clock changes: the centre suspends (挂起: the clock stops) and resumes (it restarts with the time that
    # was left); the owning unit asks for more time (延期) with a reason and a date, the centre decides.
    _t(Action.SUSPEND, {_S.SIGNED, _S.HANDLING}, _S.SUSPENDED, {Role.DISPATCHER}, Scope.CENTRE, "挂起理由"),
    _t(Action.RESUME, {_S.SUSPENDED}, _S.HANDLING, {Role.DISPATCHER}, Scope.CENTRE),
    _t(Action.ASK_EXTENSION, {_S.SIGNED, _S.HANDLING}, _S.HANDLING, _HANDLERS, Scope.OWNER, "延期理由"),
    _t(Action.APPROVE_EXTENSION, {_S.SIGNED, _S.HANDLING}, _S.HANDLING, {Role.DISPATCHER}, Scope.EXTENSION_JUDGE),
    _t(Action.REFUSE_EXTENSION, {_S.SIGNED, _S.HANDLING}, _S.HANDLING, {Role.DISPATCHER}, Scope.EXTENSION_JUDGE,
       "驳回理由"),
    # 审核认定: a reviewer rules a disputed order (合理已解决, 合理暂不具备条件, 不合理, 不属于受理范围) with a
    # reason; the ruling is recorded and the order stays where it is. A later ruling replaces it, the trail
    # keeps both.
    _t(Action.RULE, {_S.CALLED_BACK}, _S.CALLED_BACK, {Role.REVIEWER}, Scope.CENTRE, "认定理由"),
    _t(Action.RULE, {_S.ARCHIVED}, _S.ARCHIVED, {Role.REVIEWER}, Scope.CENTRE, "认定理由"),
    # 合并重复 (一事多办): the dispatcher — or intake, sure of the match — joins a repeat to the main order of its
    # matter. The joined order runs no clock and waits (已并入主件): the main order is handled once, and when its
    # reply is approved each joined order takes that reply (随主件答复) and goes to its own callback, so every
    # reporter hears the answer and is asked. The rate policy decides how joined orders count. A join is undone
    # (撤销合并) with a reason: the order goes back to the dispatcher as accepted.
    _t(Action.MERGE, {_S.NEW, _S.ACCEPTED, _S.RETURNED, _S.DISPATCHED, _S.SIGNED, _S.HANDLING, _S.SUSPENDED,
                      _S.STREET_REVIEW, _S.REPLIED}, _S.JOINED, {Role.DISPATCHER}, Scope.CENTRE, by_system=True),
    # An order already answered may still be found to repeat another: it is archived, pointing at the main order.
    _t(Action.MERGE, {_S.REVIEWED, _S.CALLED_BACK}, _S.ARCHIVED, {Role.DISPATCHER}, Scope.CENTRE),
    # Undone by the dispatcher, or by the system when the main order is voided: back at the centre, accepted.
    _t(Action.UNMERGE, {_S.JOINED}, _S.ACCEPTED, {Role.DISPATCHER}, Scope.CENTRE, "撤销理由", by_system=True),
    _t(Action.FOLLOW, {_S.JOINED}, _S.REVIEWED, set(), Scope.CENTRE, by_system=True),
    # Taken by the time-limit sweep only (no role may): an order nobody signed goes back to the dispatcher.
    _t(Action.SIGN_TIMEOUT, {_S.DISPATCHED}, _S.RETURNED, set(), Scope.CENTRE, by_system=True),
)

TRANSITION_ACTIONS = frozenset(t.action for t in TRANSITIONS)


def find(status: Status, action: Action) -> Transition | None:
    """The transition that ``action`` takes from ``status``, or None when there is none."""
    for transition in TRANSITIONS:
        if transition.action == action and status in transition.sources:
            return transition
    return None


def actions_from(status: Status) -> list[Transition]:
    return [t for t in TRANSITIONS if status in t.sources]


def mermaid() -> str:
    """The transition table as a Mermaid state diagram (docs/lifecycle.md embeds exactly this)."""
    lines = ["stateDiagram-v2", f"    [*] --> {Status.NEW.value}: {ACTION_LABELS[Action.CREATE]} (网上/移动端)",
             f"    [*] --> {Status.ACCEPTED.value}: {ACTION_LABELS[Action.CREATE]} (热线/话务员)"]
    for transition in TRANSITIONS:
        for source in sorted(transition.sources):
            label = f"{transition.action.value} {ACTION_LABELS[transition.action]}"
            lines.append(f"    {source.value} --> {transition.target.value}: {label}")
    lines.append(f"    {Status.ARCHIVED.value} --> [*]")
    for status in Status:
        lines.append(f"    {status.value}: {status.value} {STATUS_LABELS[status]}")
    return "\n".join(lines)
