"""Words for the demo's year of orders: titles and requests written from templates per order type and category
(first level, or second where the first is too broad), filled with the category's own keywords and the place,
and the notes handlers and reviewers leave on the way.

Written for the demo; nothing here is copied from real orders.
"""

from __future__ import annotations

import random
import re

from minhu.orders.enums import OrderType

# {kw}/{kw2}: two different keywords of the order's category; {place}: the community's name; {spot}: the place
# with a word of where (附近, 一带) or none — templates that say where themselves take {place}, so no place is
# named twice ("附近附近"); {since}: how long it has lasted.
TITLES: dict[OrderType, tuple[str, ...]] = {
    OrderType.COMPLAINT: ("{spot}{kw}问题", "反映{spot}{kw}", "{kw}，希望尽快解决", "关于{kw}的投诉",
                          "{kw}长期得不到解决"),
    OrderType.HELP: ("{spot}{kw}，请帮忙解决", "求助：{spot}{kw}", "{kw}，请求协调处理"),
    OrderType.REPORT: ("反映{spot}{kw}", "{spot}存在{kw}问题", "{spot}{kw}，请查处"),
    OrderType.SUGGESTION: ("关于{kw}的建议", "建议解决{spot}{kw}问题", "建议加强{kw}管理"),
}
# Matters that cannot wait (电梯困人, 燃气泄漏, 火情 …): a call for help now, never a suggestion.
URGENT_TITLES = ("{spot}{kw}，请求紧急处置", "紧急求助：{spot}{kw}", "{spot}{kw}，请马上派人")
URGENT_CONTENT = ("{spot}{kw}，情况紧急，请立即派人到现场处置！", "{spot}{kw}，现场有老人和孩子，请马上处理。",
                  "刚刚发现{spot}{kw}，已经通知物业，请相关部门尽快赶到现场。")
SUGGESTION_CONTENT = ("{spot}{kw}的问题{since}，居民反映较多，建议有关部门统筹研究、完善管理。",
                      "关于{kw}提一点建议：{place}一带情况比较突出，建议加强日常管理并定期检查。",
                      "建议在{place}一带解决{kw}的问题，方便居民生活。")
CONTENT: dict[str, tuple[str, ...]] = {
    "01": ("{spot}{kw}的问题{since}，找过物业和社区都没有结果，希望有关部门督促处理。",
           "我们{place}的住户反映{kw}，{kw2}也一直没有说法，请相关部门给个明确答复。",
           "{spot}{kw}，影响几十户居民正常生活，{since}，请尽快协调解决。"),
    "02": ("{place}附近{kw}，{since}，晚上根本没法休息，请环保或执法部门查处。",
           "{spot}有{kw}的情况，{kw2}也很明显，居民意见很大，请派人到现场看看。",
           "反映{kw}：{place}一带{since}，希望加强监管。"),
    "03": ("{place}附近路段{kw}，{since}，上下班出行很不方便，请交通部门处理。",
           "{place}门口经常{kw}，{kw2}，存在安全隐患，希望加强管理。",
           "{spot}{kw}的问题早晚高峰尤其严重，希望尽快解决。"),
    "04": ("孩子在{place}附近上学，关于{kw}有疑问，{kw2}的情况希望教育部门核实。",
           "反映{kw}：{since}，家长们多次反映没有结果。", "反映{kw}的问题，学校的说法和政策不一致。"),
    "05": ("我在{place}附近一家单位工作，{kw}，{since}，请人社部门帮忙维权。",
           "反映{kw}：单位以各种理由推脱，{kw2}也没有落实。", "关于{kw}，多次找单位协商未果，请求协调。"),
    "06": ("在{place}附近一家店消费，遇到{kw}，商家拒不处理，请求帮助。",
           "{place}的商户{kw}，{kw2}，请市场监管部门查处。", "反映{kw}：{since}，商家联系不上。"),
    "07": ("{spot}{kw}，{since}，担心影响健康，请卫健部门处理。", "反映{kw}：{kw2}的情况希望有关部门核实。",
           "{place}楼栋周边{kw}，居民反映强烈。"),
    "08": ("{spot}{kw}，{since}，影响市容和通行，请城管部门处理。",
           "{place}一带{kw}，{kw2}，多次反映仍然存在，希望彻底整治。",
           "巡查发现{spot}{kw}，需要尽快处置。", "{place}门口{kw}，行人只能绕行，请派人清理。"),
    "09": ("{spot}{kw}，存在安全隐患，{since}，请尽快排查处置。",
           "反映{spot}{kw}，{kw2}，担心出事，希望有关部门到现场。", "{place}楼道里{kw}，老人孩子进出很危险。"),
    # 社会治安 (盗窃、黄赌毒、诈骗): for the police, not a matter of hidden dangers in the stairwell.
    "0905": ("{spot}{kw}的情况{since}，居民很担心，请公安机关依法查处。",
             "反映{kw}：{place}一带{since}，希望警方加强巡逻和打击。", "举报{spot}{kw}，{kw2}，请尽快核查。"),
    "0906": ("办理{kw}遇到困难，{kw2}的手续跑了好几次还没办好，请帮忙协调。", "反映{kw}：{since}，窗口说要等通知。"),
    "0907": ("{spot}{kw}，{since}，双方协商不成，请社区帮忙调解。",
             "反映{kw}：{kw2}，多次沟通没有结果，希望有人出面协调。"),
    "10": ("在{place}附近购买商品遇到{kw}，请市场监管部门查处。", "{place}的商家{kw}，{kw2}，消费者权益受损。",
           "反映{kw}：{since}，商家态度恶劣。"),
    "11": ("家住{place}，家里老人{kw}的事情想问怎么办理，{since}还没有办下来。",
           "反映{kw}：社区说要等通知，{since}，希望加快办理。", "{place}居民反映{kw}的问题。"),
    "12": ("反映{kw}：{since}，相关补贴一直没有落实。", "关于{kw}，请有关部门核实处理。"),
    "13": ("到窗口办事遇到{kw}，{kw2}，跑了好几次，希望改进。", "反映{kw}：{since}，办事效率太低。"),
    "14": ("咨询{kw}的相关政策，{kw2}需要准备哪些材料？", "想了解{kw}，在哪里办理、需要多长时间？",
           "请问{kw}有什么规定，{kw2}怎么办理？"),
    "99": ("反映{kw}：{place}一带的问题涉及多个方面，{since}，请协调处理。",),
}
SINCE = ("已经持续一周", "快半个月了", "已经好几天", "一个多月了", "反复出现", "从上个月开始", "三天了", "前天开始")
SPOT_SUFFIX = ("", "附近", "一带")
CONSULT_TITLES = ("咨询{kw}", "关于{kw}的咨询")

HANDLE_NOTES = ("已联系市民，约定时间到现场核实。", "已到现场查看，正在协调相关单位处理。",
                "已电话联系市民了解诉求，正在办理。",
                "已安排工作人员现场处置。", "已与责任单位对接，正在落实整改。")
REPLIES = {
    "resolved": ("经现场核查，问题已处理完毕，并已电话告知市民处理结果。", "已责令相关单位整改到位，现场已恢复正常。",
                 "已协调维修人员完成维修，市民表示认可。", "已依法查处并督促整改，问题已解决。",
                 "已按政策为市民办理，并告知后续注意事项。"),
    "partly": ("已先行处置，剩余问题需协调多个单位，已纳入计划跟进。", "已整改大部分问题，后续将持续跟踪。",
               "已向市民解释政策，能办理的部分已办结。"),
    "unresolved": ("经核实，该问题涉及历史遗留，暂不具备解决条件，已向市民解释。",
                   "已多次协调，相关方未达成一致，将继续跟进。",
                   "诉求超出本单位职权范围，已告知市民通过其他途径反映。"),
}
ON_THE_SPOT = ("巡查发现后当场处置完毕。", "已现场劝导整改，问题已消除。", "已联系保洁当场清理。", "已现场协调解决。")
CONSULT_ANSWERS = ("已按知识库答复市民办理条件、所需材料和办理地点。", "已告知市民相关政策规定及咨询电话。",
                   "已答复办理流程，市民表示清楚。")
CALLBACK_NOTES = {
    "satisfied": ("市民表示满意", "市民对处理结果满意", "市民表示问题已解决，感谢"),
    "basically": ("市民表示基本满意", "市民认可处理，但希望加快进度"),
    "unsatisfied": ("市民表示不满意，认为问题仍未解决", "市民对答复不认可", "市民反映处理敷衍"),
    "unreachable": ("三次回访均未接通，按无法联系办结", "电话停机，无法联系市民"),
}
WHISTLE_NOTES = ("涉及多个部门职责，请到场联合处置", "请相关部门到场配合执法", "需多部门会商处理")
REPORT_NOTES = ("已到场，配合街道完成处置", "已派员到现场，依职责进行了查处", "已到场会商，明确了整改方案")
RULING_REASONS = {
    "unreasonable": ("诉求超出政策规定范围，经审核认定为不合理诉求", "市民要求的补偿标准无政策依据",
                     "诉求内容经核实与事实不符"),
    "out_of_scope": ("该事项已进入诉讼程序，不属于热线受理范围", "属于民事纠纷，已引导市民通过司法途径解决"),
    "reasonable_not_now": ("诉求合理，但目前缺乏政策依据，暂不具备解决条件", "已列入明年改造计划，暂时无法解决"),
    "reasonable_solved": ("诉求合理，承办单位已解决，市民不满意系对其他问题有意见",),
}
DUPLICATE_REPLY = "经核实，该诉求与工单{number}反映的是同一问题，已并入该工单一并办理。"
CITIZEN_SUFFIX = ("先生", "女士", "先生", "女士", "阿姨", "师傅")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁"


def request_text(rng: random.Random, code: str, keywords: list[str], place: str, *, order_type: OrderType,
                 immediate: bool = False) -> tuple[str, str]:
    """A title and a request for an order of type ``order_type`` in the category ``code`` with ``keywords``;
    ``immediate`` for a matter that cannot wait (its words call for help now)."""
    kw = rng.choice(keywords) if keywords else "相关问题"
    others = [k for k in keywords if k != kw]
    kw2 = rng.choice(others) if others else "其他情况"
    spot = place + rng.choice(SPOT_SUFFIX) if place else "我家附近"
    fields = {"kw": kw, "kw2": kw2, "place": place or "我家", "spot": spot, "since": rng.choice(SINCE)}
    titles: tuple[str, ...]
    contents: tuple[str, ...]
    if immediate:
        titles, contents = URGENT_TITLES, URGENT_CONTENT
    elif order_type is OrderType.CONSULTATION:
        titles, contents = CONSULT_TITLES, CONTENT["14"]
    elif order_type is OrderType.SUGGESTION:
        titles, contents = TITLES[order_type], SUGGESTION_CONTENT
    else:
        titles = TITLES.get(order_type, TITLES[OrderType.COMPLAINT])
        contents = CONTENT.get(code[:4]) or CONTENT.get(code[:2], CONTENT["99"])
    title = rng.choice(titles).format(**fields)
    content = rng.choice(contents).format(**fields)
    return _once(title)[:60], _once(content)


# A keyword that begins as the place ends (锦江社区 + 社区工作人员), or ends as the template goes on (质量问题 + 问题),
# says the word once.
_TWICE = re.compile(r"(社区|附近|一带|问题)\1")


def _once(text: str) -> str:
    return _TWICE.sub(r"\1", text)


def citizen_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(CITIZEN_SUFFIX)
REOPEN_NOTES = ("市民反映问题仍未解决，退回承办单位重新办理", "回访不满意，请承办单位再次到现场核实处理",
                "市民对答复不认可，要求重新办理")
REHANDLE_REPLIES = ("已再次到现场核实，补充处置了遗留问题，并当面向市民说明。",
                    "已会同物业和社区再次处理，问题已整改到位，市民已确认。",
                    "重新核查后已协调责任单位落实整改，并约定一周后复查。")
STANDARD_REPLY = ("关于您反映的“{title}”：该问题已由{unit}统一办理，同一事项的来电均按本答复告知。"
                  "承办单位已到现场核实并落实整改，后续将持续跟踪；如问题再次出现，请拨打12345反映。")
