"""Channels and delivery states of outbox messages, with their zh-CN labels."""

from __future__ import annotations

from enum import StrEnum


class NotifyChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"
    INBOX = "inbox"


CHANNEL_LABELS: dict[NotifyChannel, str] = {
    NotifyChannel.EMAIL: "邮件",
    NotifyChannel.SMS: "短信",
    NotifyChannel.WEBHOOK: "Webhook",
    NotifyChannel.INBOX: "站内消息",
}


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


DELIVERY_STATUS_LABELS: dict[DeliveryStatus, str] = {
    DeliveryStatus.PENDING: "待发送",
    DeliveryStatus.SENDING: "发送中",
    DeliveryStatus.SENT: "已送达",
    DeliveryStatus.DEAD: "发送失败",
}
