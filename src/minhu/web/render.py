"""Server-rendered pages: one Jinja environment, a template path a deployment can override.

Templates under ``$MINHU_HOME/templates`` are searched before the packaged ones, so a city can
change a page without touching the code.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import Response

from minhu.core import clock

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def _city_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(clock.city_tz()).strftime(fmt)


# A web address in plain text ends at white space or at the first Chinese punctuation after it.
_URL = re.compile(r"https?://[^\s<>\"'，。；：、）」】]+")


def _linkify(text: str | None, own_site: str = "") -> Markup:
    """Plain text, escaped, with its web addresses as links. An address on ``own_site`` becomes a path, so it opens
    on the host the reader is on whatever base address the message was written with."""
    if not text:
        return Markup("")
    own = own_site.rstrip("/")
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        href = url[len(own):] if own and url.startswith(own + "/") else url
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup('<a href="{}">{}</a>').format(href, url))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def make_templates(override_dir: Path | None, globals_: dict[str, Any]) -> Jinja2Templates:
    loaders = [FileSystemLoader(str(override_dir))] if override_dir and override_dir.is_dir() else []
    loaders.append(FileSystemLoader(str(PACKAGE_TEMPLATES)))
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]))
    env.filters["city_time"] = _city_time
    env.filters["linkify"] = _linkify
    env.globals.update(globals_)
    return Jinja2Templates(env=env)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context, status_code=status_code)
