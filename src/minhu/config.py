"""Deployment settings: where minhu keeps its state, which database it talks to, the city's time zone.

Business rules (catalog, time limits, rate policies) are data in the database, not settings.
Settings come from ``MINHU_*`` environment variables, then from an optional TOML file named by
``MINHU_CONFIG`` (or ``$MINHU_HOME/minhu.toml`` when it exists), then from the defaults below.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from minhu.core.db import Database
from minhu.core.workhours import WorkWindow, parse_work_hours


def _toml_file() -> Path | None:
    explicit = os.environ.get("MINHU_CONFIG")
    if explicit:
        return Path(explicit)
    home = Path(os.environ.get("MINHU_HOME", "var"))
    candidate = home / "minhu.toml"
    return candidate if candidate.exists() else None


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the optional TOML file; keys are the field names without the ``MINHU_`` prefix."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = _toml_file()
        self._data: dict[str, Any] = tomllib.loads(path.read_text("utf-8")) if path else {}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {key: value for key, value in self._data.items() if key in self.settings_cls.model_fields}


class Settings(BaseSettings):
    """Facts about one deployment. Every runtime file lives under ``home``."""

    model_config = SettingsConfigDict(env_prefix="MINHU_", extra="ignore")

    home: Path = Field(default=Path("var"), description="Directory of all runtime state")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite at home/minhu.db")
    trusted_proxies: str = Field(default="", description=(
        "Addresses of the reverse proxies whose X-Forwarded-For names the client (comma-separated IPs or "
        "networks); empty: the connection's own address is the client"))
    citizen_data_days: int = Field(default=1095, ge=30, le=36500, description=(
        "Days after an order is closed that its citizen's personal data is kept; then it is anonymised"))
    database_wait_seconds: float = Field(default=5.0, gt=0, le=120, description=(
        "How long a request waits for a locked SQLite file or an unanswering PostgreSQL server before it "
        "answers 503"))
    timezone: str = Field(default="Asia/Shanghai", description="The city's time zone")
    secret_key: str = Field(default="", description="Signs session cookies; generated into home when empty")
    max_json_bytes: int = Field(default=1024 * 1024, description="Largest accepted JSON or form body")
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, description="Largest accepted attachment")
    token_ttl_hours: int = Field(default=12, description="Lifetime of an API bearer token")
    cookie_secure: bool = Field(default=False, description=(
        "Send the session cookie over HTTPS only; always so when base_url is https://"))
    work_hours: str = Field(default="09:00-12:00,13:30-17:30", description=(
        "The working hours of a working day, for limits counted in working hours and days"))
    auto_dispatch_confidence: float | None = Field(default=None, ge=0, le=1.01, description=(
        "Orders whose category is at least this sure, with an owner found by the matrix, dispatch themselves; "
        "unset: the threshold derived with the model in use; above 1 nothing dispatches itself"))
    base_url: str = Field(default="http://127.0.0.1:8000", description="Address of minhu that links in messages use")
    smtp_host: str = Field(default="", description="SMTP server for e-mail; empty means e-mail is not sent")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port (465 for ssl, 587 for starttls)")
    smtp_security: Literal["none", "starttls", "ssl"] = Field(default="none", description="SMTP transport security")
    smtp_username: str = Field(default="", description="SMTP login; empty means no login")
    smtp_password: str = Field(default="", description="SMTP password")
    smtp_from: str = Field(default="minhu@localhost", description="From address, e.g. 民呼 <noreply@city.gov.cn>")
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, description="Longest one e-mail may take to send")
    sms_gateway_url: str = Field(default="", description="The SMS gateway (docs/sms-gateway.md); empty: no SMS")
    sms_gateway_secret: str = Field(default="", description="Shared secret signing requests to the SMS gateway")
    http_timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of SMS gateway and webhook requests")
    notify_backoff_seconds: list[int] = Field(default=[60, 300, 1800, 7200, 21600], min_length=1, description=(
        "Wait after the 1st, 2nd … failed attempt of a message (the last value repeats)"))
    notify_max_attempts: int = Field(default=6, ge=1, description="Attempts before a message is dead")
    notify_stuck_seconds: int = Field(default=600, ge=1, description=(
        "A message left 'sending' this long (the sender crashed) is sent again"))
    notify_poll_seconds: float = Field(default=5.0, gt=0, description="How often the worker looks for due messages")
    in_process_worker: bool = Field(default=True, description=(
        "minhu serve runs the worker in a background thread; turn off when a separate minhu worker runs"))
    sweep_seconds: float = Field(default=60.0, gt=0, description=(
        "How often the worker sweeps the clocks (urges at yellow, tells the leader at red, opens 督办)"))
    supervise_after_hours: float = Field(default=24.0, gt=0, description=(
        "How long an order stays red past its finish deadline before a supervision (督办) is opened"))
    callback_max_attempts: int = Field(default=3, ge=1, le=20, description=(
        "Unanswered callback tries (回访未接通) after which the callback is closed as unreachable"))
    callback_retry_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60, description=(
        "The least wait between two unanswered callback tries"))
    duplicates_auto_join: bool = Field(default=True, description=(
        "Join a new order to the earlier report of its matter (一事多办) when the duplicate score reaches the "
        "scorer's join threshold; off, intake only lists the candidates for the dispatcher"))
    rating_link_days: int = Field(default=7, ge=1, le=90, description=(
        "How long the online rating link (网上直评) texted to the citizen at approval stays valid"))
    open311_base: str = Field(default="/open311/v2", pattern=r"^(/[A-Za-z0-9._-]+)+$", description=(
        "Where the Open311 GeoReport v2 endpoints are served (docs/open311.md)"))
    open311_jurisdictions: list[str] = Field(default=[], description=(
        "The jurisdiction_id values Open311 accepts; with two or more, every call must name one"))
    open311_contact: str = Field(default="市民服务中心 12345", description=(
        "Open311 discovery's contact: whom a client's developer asks for help"))
    open311_key_service: str = Field(default="请向市民服务中心管理员申请 Open311 api_key", description=(
        "Open311 discovery's key_service: how a client's developer gets an api_key"))
    worker_lease_seconds: int = Field(default=60, ge=1, description=(
        "How long a worker holds an exclusive job's lease; another takes over this long after it stops"))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _TomlSource(settings_cls)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from exc
        return value

    @field_validator("work_hours")
    @classmethod
    def _work_hours(cls, value: str) -> str:
        parse_work_hours(value)  # raises ValueError with the reason
        return value

    @property
    def work_windows(self) -> tuple[WorkWindow, ...]:
        return parse_work_hours(self.work_hours)

    @model_validator(mode="after")
    def _stuck_outlasts_a_send(self) -> Settings:
        # A message is sent again only when no sender can still be working on it.
        longest = max(self.smtp_timeout_seconds, self.http_timeout_seconds)
        if self.notify_stuck_seconds < 3 * longest:
            raise ValueError(f"notify_stuck_seconds ({self.notify_stuck_seconds}) must be at least three times the "
                             f"longest send timeout ({longest:g} s), or a slow send would be sent twice")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def served_over_https(self) -> bool:
        """Whether people reach minhu over HTTPS: its base_url says so."""
        return self.base_url.strip().lower().startswith("https://")

    @property
    def secure_cookies(self) -> bool:
        """The session cookie travels over HTTPS only: asked for, or implied by an https:// base_url."""
        return self.cookie_secure or self.served_over_https

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'minhu.db').resolve()}"

    def open_database(self) -> Database:
        return Database(self.effective_database_url, wait_seconds=self.database_wait_seconds)

    @property
    def attachments_dir(self) -> Path:
        return self.home / "attachments"

    @property
    def models_dir(self) -> Path:
        """Trained models (the classifier), versioned."""
        return self.home / "models"

    def ensure_home(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.attachments_dir.mkdir(parents=True, exist_ok=True)

    def effective_secret_key(self) -> str:
        """The configured key, else one kept in ``home/secret.key`` so sessions survive restarts."""
        if self.secret_key:
            return self.secret_key
        self.ensure_home()
        path = self.home / "secret.key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48), "utf-8")
            path.chmod(0o600)
        return path.read_text("utf-8").strip()
