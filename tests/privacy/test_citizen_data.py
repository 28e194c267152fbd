"""A citizen's personal data: anonymised when its retention period ends, exported or erased when they ask, and
the city's figures unchanged by either."""

import importlib.util
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from minhu import migrations
from minhu.core import clock
from minhu.duplicates.models import OrderFingerprint
from minhu.evaluation import policies, rates
from minhu.intake import phone_codes
from minhu.intake.models import PhoneCode
from minhu.knowledge import service as knowledge
from minhu.knowledge.models import Article, ArticleVersion, PastCase
from minhu.knowledge.schemas import CasePromotion
from minhu.notify import service as notify_service
from minhu.notify.enums import NotifyChannel
from minhu.notify.models import OutboxMessage
from minhu.orders import trail as order_trail
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action
from minhu.privacy import service as privacy
from minhu.worker.jobs import default_jobs
from tests.factories import make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORDS = "我是王女士，我住和平小区3栋2单元501室，电话13912345678，身份证420106199001011234，车牌鄂A12345 天天堵门。"


def a_citizen_order(db, world, *, phone: str = "13812345678", **fields):
    order = make_order(db, world, upto=Action.ARCHIVE, citizen_phone=phone, content=WORDS, **fields)
    with db.transaction() as s:
        notify_service.enqueue_to_address(s, template="test", context={"sent_at": clock.now()},
                                          channel=NotifyChannel.SMS, address=phone, recipient_name="市民",
                                          dedupe_key=f"test:{order.id}", order_id=order.id)
    return order


def reload(db, order):
    with db.read() as s:
        return s.get_one(WorkOrder, order.id)


def test_orders_closed_before_the_retention_period_are_anonymised_and_the_figures_stay(db, world):
    long_ago = datetime(2023, 3, 1, 10, 0, tzinfo=SHANGHAI)
    with clock.frozen(long_ago):
        # A title as long as the column: masking the plate lengthens it, and it must still fit.
        old = a_citizen_order(db, world, title="鄂A12345 车辆长期占道" + "，影响通行" * 37 + "。")
        with db.transaction() as s:
            phone_codes.send_code(s, "13955554444", client="c", secret="k")
            # What the trail's notes can hold: a citizen's online rating comment, a handler's call.
            order_trail.append_event(s, s.get_one(WorkOrder, old.id), Action.HANDLE, actor=None, from_status=None,
                               note="已电话联系王女士 13912345678，答应周五前清走鄂A12345", anonymous_name="市民")
    recent = a_citizen_order(db, world)
    still_open = make_order(db, world, upto=Action.SIGN, content=WORDS)
    period = rates.custom(date(2023, 3, 1), date(2023, 3, 31))
    with db.read() as s:
        policy = policies.resolve(s, None)
        figures_before = rates.counts_by_owner(s, policy, period)

    with db.transaction() as s:
        done = privacy.anonymise_expired(s, days=1095)
    assert done.orders == 1

    gone = reload(db, old)
    assert (gone.citizen_name, gone.citizen_phone) == (None, None)
    assert "13912345678" not in gone.content
    assert "139****5678" in gone.content
    assert "420106************" in gone.content
    assert "鄂A·*****" in gone.content
    assert "鄂A·*****" in gone.title
    assert "501" not in gone.content
    assert "王女士" not in gone.content
    assert "王**" in gone.content
    assert len(gone.title) == 200
    assert gone.anonymised_at is not None
    # What the statistics read is untouched.
    assert (gone.category_code, gone.street_id, gone.satisfaction, gone.closed_at) == (
        old.category_code, old.street_id, old.satisfaction, old.closed_at)
    with db.read() as s:
        assert rates.counts_by_owner(s, policy, period) == figures_before
        trail = s.scalars(select(OrderEvent.action).where(OrderEvent.order_id == old.id)).all()
        fingerprints = s.scalar(select(func.count()).select_from(OrderFingerprint)
                                .where(OrderFingerprint.order_id == old.id))
        recent_fingerprints = s.scalar(select(func.count()).select_from(OrderFingerprint)
                                       .where(OrderFingerprint.order_id == recent.id))
        sms = s.scalars(select(OutboxMessage).where(OutboxMessage.order_id == old.id,
                                                    OutboxMessage.channel == NotifyChannel.SMS)).all()
    assert trail[-1] is Action.ANONYMISE
    with db.read() as s:
        notes = s.scalars(select(OrderEvent.note).where(OrderEvent.order_id == old.id)).all()
    assert not any("13912345678" in n or "王女士" in n or "A12345" in n for n in notes)
    assert "已电话联系王** 139****5678，答应周五前清走鄂A·*****" in notes
    with db.read() as s:
        code_sms = s.scalars(select(OutboxMessage).where(OutboxMessage.template_key == phone_codes.TEMPLATE)).all()
        codes_left = s.scalar(select(func.count()).select_from(PhoneCode))
    assert [m.recipient for m in code_sms] == ["139****4444"]
    assert codes_left == 0
    assert fingerprints == 0  # its reading held the words themselves
    assert recent_fingerprints == 1
    assert sms
    assert all(m.recipient == "138****5678" for m in sms)
    for kept in (recent, still_open):
        assert reload(db, kept).citizen_phone == "13812345678"
        assert "13912345678" in reload(db, kept).content
    # A second run finds nothing more to do.
    with db.transaction() as s:
        assert privacy.anonymise_expired(s, days=1095).orders == 0


def test_a_citizen_erases_their_data_on_request_and_no_one_elses(db, world, run):
    mine = [a_citizen_order(db, world, phone="13655556666"), make_order(db, world, citizen_phone="13655556666")]
    theirs = a_citizen_order(db, world, phone="13700001111")
    with db.transaction() as s:
        phone_codes.send_code(s, "13655556666", client="c", secret="k")

    unconfirmed = run("citizens", "erase", "13655556666")
    assert unconfirmed.exit_code == 1
    assert "--yes" in unconfirmed.output
    assert reload(db, mine[0]).citizen_phone == "13655556666"

    erased = run("citizens", "erase", "136-5555-6666", "--yes")
    assert erased.exit_code == 0, erased.output
    assert "已匿名化 2 件工单" in erased.stdout
    assert all(reload(db, o).citizen_phone is None for o in mine)
    assert reload(db, theirs).citizen_phone == "13700001111"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PhoneCode)) == 0


def test_a_citizen_gets_everything_kept_about_them_and_the_export_is_in_the_trail(db, world, run, tmp_path):
    first = a_citizen_order(db, world, phone="13655556666", title="楼下烧烤油烟")
    second = make_order(db, world, citizen_phone="13655556666", title="夜间施工噪音")
    make_order(db, world, citizen_phone="13700001111", title="别人的诉求")
    target = tmp_path / "citizen.json"
    result = run("citizens", "export", "13655556666", "-o", str(target))
    assert result.exit_code == 0, result.output
    package = json.loads(target.read_text("utf-8"))
    assert [o["number"] for o in package["orders"]] == [first.number, second.number]
    assert package["orders"][0]["reply"] == "已处理完毕"
    assert package["orders"][1]["reply"] is None
    assert "查看完整电话" not in json.dumps(package, ensure_ascii=False)
    with db.read() as s:
        exports = s.scalars(select(OrderEvent.order_id).where(OrderEvent.action == Action.VIEW_PHONE)).all()
    assert sorted(exports) == sorted([first.id, second.id])


def test_the_worker_runs_the_retention_rule(settings):
    jobs = {job.name: job for job in default_jobs(settings)}
    assert jobs["privacy.retention"].exclusive
    assert settings.citizen_data_days == 1095
    assert timedelta(hours=1) == jobs["privacy.retention"].every


def test_an_erased_citizen_s_name_leaves_the_cases_similar_cases_and_guiding_cases_show(db, world, run):
    order = a_citizen_order(db, world, phone="13655556666", citizen_name="王小红",
                            title="王小红反映楼下烧烤油烟")
    with db.transaction() as s:
        summary = CasePromotion(summary="王小红家楼下烧烤：限期安装油烟净化器")
        case = knowledge.promote_case(s, s.get_one(WorkOrder, order.id), summary, actor=world.dispatcher)
        article_id = case.id
    assert run("citizens", "erase", "13655556666", "--yes").exit_code == 0
    with db.read() as s:
        past = s.scalars(select(PastCase).where(PastCase.order_id == order.id)).one()
        article = s.get_one(Article, article_id)
        versions = s.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)).all()
    assert "王小红" not in past.title + past.content
    assert "油烟" in past.title  # the matter itself is still found by the next order like it
    assert "王小红" not in article.title + article.summary + article.body
    assert all("王小红" not in json.dumps(v.fields, ensure_ascii=False) for v in versions)


def test_the_trail_lets_only_the_notes_of_an_anonymised_order_be_masked(db, world):
    kept, anonymised = make_order(db, world, upto=Action.SIGN), make_order(db, world, upto=Action.SIGN)
    with db.transaction() as s:
        privacy.anonymise(s, [s.get_one(WorkOrder, anonymised.id)], actor=None, reason="测试")

    def change(order, assignment: str) -> None:
        with db.transaction() as s:
            s.execute(text(f"UPDATE order_events SET {assignment} WHERE order_id = :id"), {"id": order.id})

    change(anonymised, "note = 'masked'")
    with pytest.raises(DBAPIError):
        change(kept, "note = 'masked'")
    # Every entry here was written by a staff account, whose name is kept too.
    for assignment in ("actor_name = 'someone else'", "at = '2020-01-01 00:00:00+00'", "payload = '{\"x\": 1}'",
                       "action = 'void'", "note = 'masked', actor_id = NULL",
                       "order_id = order_id + 0, to_status = 'voided'"):
        with pytest.raises(DBAPIError):
            change(anonymised, assignment)
    with pytest.raises(DBAPIError), db.transaction() as s:
        s.execute(text("DELETE FROM order_events WHERE order_id = :id"), {"id": anonymised.id})
    with db.read() as s:
        notes = s.scalars(select(OrderEvent.note).where(OrderEvent.order_id == anonymised.id)).all()
    assert set(notes) == {"masked"}


def test_the_trails_guard_names_every_column_it_keeps():
    """SQLite's trigger lists the columns an update must leave alone: a column added to the trail and not to the
    list could be rewritten."""
    path = next(Path(migrations.__file__).parent.glob("versions/*_retention_masks_the_trail.py"))
    spec = importlib.util.spec_from_file_location("retention_masks_the_trail", path)
    assert spec is not None
    assert spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert set(migration._KEPT) == {c.name for c in OrderEvent.__table__.columns} - {"note", "actor_name"}
