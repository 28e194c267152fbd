"""Notifications: a durable outbox written in the caller's transaction, delivered once by the worker.

Callers (the deadline sweep, and any action that must tell someone) call ``service.enqueue`` inside
their own ``db.transaction()``; the rows commit with the change that caused them, or not at all.
The worker's delivery job (``delivery.deliver_due``) claims due rows, hands each to the sender of
its channel (email, SMS gateway, webhook, in-app inbox) and records the outcome.
"""
