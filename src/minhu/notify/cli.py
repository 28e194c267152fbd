"""``minhu notify``: send a test message, subscribe other systems to events, deliver now."""

from __future__ import annotations

from collections.abc import Callable

import typer
from sqlalchemy.orm import Session

from minhu.config import Settings
from minhu.core import clock
from minhu.core.deployment import deployment_database
from minhu.core.errors import DomainError
from minhu.notify import queries, service
from minhu.notify.delivery import DeliveryPolicy, deliver_due
from minhu.notify.enums import CHANNEL_LABELS, NotifyChannel
from minhu.notify.senders import build_senders
from minhu.org import queries as org_queries

notify_app = typer.Typer(help="通知", no_args_is_help=True)
PERSON_CHANNELS = [c.value for c in NotifyChannel if c is not NotifyChannel.WEBHOOK]


def _channels(value: str) -> list[NotifyChannel]:
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in PERSON_CHANNELS]
    if unknown or not chosen:
        raise typer.BadParameter(f"未知渠道 {'、'.join(unknown) or value}（可选：{'、'.join(PERSON_CHANNELS)}）")
    return [NotifyChannel(part) for part in chosen]


@notify_app.command("test")
def send_test(username: str,
              channel: str = typer.Option("inbox,email,sms", help="渠道，逗号分隔：inbox,email,sms")) -> None:
    """Queue the test message (template ``test``) to USERNAME; the worker sends it."""
    channels = _channels(channel)
    with deployment_database() as db, db.transaction() as session:
        user = org_queries.find_user_by_username(session, username)
        if user is None:
            raise typer.BadParameter(f"用户 {username} 不存在", param_hint="USERNAME")
        added = service.enqueue(session, template="test", context={"sent_at": clock.now()}, recipients=[user],
                                channels=channels)
    typer.echo(f"已排队 {added} 条测试消息（{'、'.join(CHANNEL_LABELS[c] for c in channels)}；"
               "缺少邮箱或手机号的渠道已跳过，见日志）")


@notify_app.command("deliver")
def deliver_now() -> None:
    """Send every message that is due now, once, and say what happened."""
    settings = Settings()
    with deployment_database() as db:
        report = deliver_due(db, build_senders(settings), DeliveryPolicy.from_settings(settings))
    typer.echo(f"已送达 {report.sent}，待重试 {report.retrying}，发送失败 {report.dead}，重新排队 {report.requeued}")
    for error in report.errors:
        typer.echo(f"  {error}", err=True)


@notify_app.command("webhook-add")
def webhook_add(url: str, secret: str = typer.Option("", help="签名密钥（至少 16 个字符）；不填则生成并显示一次"),
                event: list[str] = typer.Option(["*"], "--event",
                                                help="订阅的事件，可重复，如 order.dispatch、order.light.*；* 为全部"),
                name: str = typer.Option("", help="名称")) -> None:
    """Subscribe another system to events: minhu POSTs each, signed with SECRET (docs/notifications.md)."""
    generated = not secret
    secret = secret or service.new_secret()
    try:
        with deployment_database() as db, db.transaction() as session:
            subscription = service.add_webhook(session, name=name, url=url, secret=secret, events=event)
    except DomainError as exc:
        typer.echo(f"无法添加 Webhook：{exc.message}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"已添加 Webhook {subscription.id}：{url}（事件：{'、'.join(subscription.events)}）")
    if generated:
        typer.echo(f"签名密钥（只显示这一次，请交给接收方保存）：{secret}")


@notify_app.command("webhooks")
def webhook_list() -> None:
    """List the webhook subscriptions."""
    with deployment_database() as db, db.read() as session:
        for row in queries.webhooks(session):
            state = "启用" if row.active else "暂停"
            typer.echo(f"{row.id}\t{state}\t{row.name}\t{row.url}\t{','.join(row.events)}")


def _change(subscription_id: int, what: str, change: Callable[[Session], object]) -> None:
    try:
        with deployment_database() as db, db.transaction() as session:
            change(session)
    except DomainError as exc:
        typer.echo(f"无法{what}：{exc.message}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"已{what} Webhook {subscription_id}")


@notify_app.command("webhook-pause")
def webhook_pause(subscription_id: int) -> None:
    """Pause a subscription: it is sent nothing until resumed."""
    _change(subscription_id, "暂停", lambda s: service.set_webhook_active(s, subscription_id, active=False))


@notify_app.command("webhook-resume")
def webhook_resume(subscription_id: int) -> None:
    """Resume a paused subscription."""
    _change(subscription_id, "恢复", lambda s: service.set_webhook_active(s, subscription_id, active=True))


@notify_app.command("webhook-delete")
def webhook_delete(subscription_id: int) -> None:
    """Delete a subscription; what was still queued for it is not sent."""
    _change(subscription_id, "删除", lambda s: service.delete_webhook(s, subscription_id))


@notify_app.command("webhook-test")
def webhook_test(subscription_id: int) -> None:
    """Queue a webhook.test event to one subscription (the worker, or `minhu notify deliver`, sends it)."""
    _change(subscription_id, "排队测试事件到", lambda s: service.send_test_webhook(s, subscription_id))
