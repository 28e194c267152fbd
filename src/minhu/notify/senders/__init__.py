"""The senders, one small class per channel, each with ``send(message) -> None`` raising on failure.

``build_senders`` makes the set a deployment's settings configure: a channel without settings (no
SMTP host, no SMS gateway) has no sender, and its messages fail visibly in the dead-letter list
with the setting to fill in, instead of disappearing.
"""

from __future__ import annotations

from minhu.config import Settings
from minhu.notify.enums import NotifyChannel
from minhu.notify.senders.base import Delivery, PermanentFailure, Sender, SendError, sign, signature_matches
from minhu.notify.senders.inbox import InboxSender
from minhu.notify.senders.sms_gateway import SmsGatewaySender
from minhu.notify.senders.smtp import SmtpSecurity, SmtpSender
from minhu.notify.senders.webhook import WebhookSender

__all__ = ["Delivery", "InboxSender", "PermanentFailure", "SendError", "Sender", "SmsGatewaySender",
           "SmtpSecurity", "SmtpSender", "WebhookSender", "build_senders", "sign", "signature_matches"]

# What to configure when a channel has no sender.
MISSING_SETTINGS: dict[NotifyChannel, str] = {
    NotifyChannel.EMAIL: "未配置邮件服务器（MINHU_SMTP_HOST）",
    NotifyChannel.SMS: "未配置短信网关（MINHU_SMS_GATEWAY_URL、MINHU_SMS_GATEWAY_SECRET）",
    NotifyChannel.WEBHOOK: "未配置 Webhook 发送",
    NotifyChannel.INBOX: "未配置站内消息",
}


def build_senders(settings: Settings) -> dict[NotifyChannel, Sender]:
    senders: dict[NotifyChannel, Sender] = {
        NotifyChannel.INBOX: InboxSender(),
        NotifyChannel.WEBHOOK: WebhookSender(timeout=settings.http_timeout_seconds),
    }
    if settings.smtp_host:
        senders[NotifyChannel.EMAIL] = SmtpSender(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
            security=SmtpSecurity(settings.smtp_security), username=settings.smtp_username,
            password=settings.smtp_password, timeout=settings.smtp_timeout_seconds)
    if settings.sms_gateway_url and settings.sms_gateway_secret:
        senders[NotifyChannel.SMS] = SmsGatewaySender(url=settings.sms_gateway_url, secret=settings.sms_gateway_secret,
                                                      timeout=settings.http_timeout_seconds)
    return senders
