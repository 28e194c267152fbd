"""Every front-end file the pages use is served, with the right content type: the pages of the resident and of
several roles are rendered, the scripts, style sheets, icons and images they name (and the images those style
sheets name) fetched. A vendor file missing from the static folder (an npm install that did not copy it) fails here
rather than as a blank map in front of a person."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from minhu.core.db import Database
from tests.evaluation.bulletin_city import make_bulletin_city
from tests.factories import make_order
from tests.intake.test_pages import login

SRC = Path(__file__).resolve().parents[2] / "src" / "minhu"
CONTENT_TYPES = {".js": {"text/javascript", "application/javascript"}, ".css": {"text/css"},
                 ".svg": {"image/svg+xml"}, ".png": {"image/png"}}
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+?)['\"]?\s*\)")
_STATIC = re.compile(r"""/static/[^"'\\\s)<>{}]+""")


class _Assets(HTMLParser):
    """The same-origin files a page asks the browser to load: scripts, style sheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        url = named.get("src") if tag in ("script", "img") else named.get("href") if tag == "link" else None
        if url and url.startswith("/") and not url.startswith("//"):
            self.found.append(urlsplit(url).path)


def assets_of(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.found


def fetch(client: TestClient, path: str, problems: list[str]) -> str:
    """GET one asset; what is wrong with it goes to ``problems``; the text of a style sheet comes back."""
    response = client.get(path)
    kind = response.headers.get("content-type", "").split(";")[0].strip()
    expected = CONTENT_TYPES.get(Path(path).suffix)
    if response.status_code != 200:
        problems.append(f"{path}: {response.status_code}")
    elif not response.content:
        problems.append(f"{path}: empty")
    elif expected is None or kind not in expected:
        problems.append(f"{path}: served as {kind!r}")
    return response.text if kind == "text/css" and response.status_code == 200 else ""


def check_assets(client: TestClient, paths: list[str]) -> list[str]:
    """Fetch every asset, and the images and fonts each style sheet names relative to itself."""
    problems: list[str] = []
    seen: set[str] = set()
    queue = list(paths)
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        sheet = fetch(client, path, problems)
        for ref in _CSS_URL.findall(sheet):
            if not ref.startswith(("data:", "#", "http:", "https:")):
                queue.append(urlsplit(urljoin(path, ref)).path)
    return problems


# The pages each person opens, named so that together they use every script and style sheet we serve.
RESIDENT_PAGES = ("/login", "/public/report", "/public/track", "/public/board", "/docs")
ROLE_PAGES = {
    "operator": ("/orders", "/console", "/orders/new"),
    "dispatcher": ("/dispatch", "/map", "/dispatch/quality", "/dispatch/units", "/admin/matrix", "{order}"),
    "leader": ("/bulletins/2026-10", "/rankings", "/dissatisfied", "/supervision"),
    "admin": ("/admin/notify/webhooks", "/admin/catalog", "/admin/catalog/views", "/admin/systems"),
}


@pytest.mark.one_engine  # files and templates, whatever database filled the pages
def test_every_asset_the_pages_name_is_served(client: TestClient, db: Database) -> None:
    city = make_bulletin_city(db)
    order = make_order(db, city.world)
    named: dict[str, str] = {}
    for path in RESIDENT_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        named.update(dict.fromkeys(assets_of(response.text), path))
    for role, paths in ROLE_PAGES.items():
        client.cookies.clear()
        login(client, getattr(city.world, role))
        for path in paths:
            path = path.format(order=f"/orders/{order.number}")
            response = client.get(path)
            assert response.status_code == 200, f"{role} {path}: {response.status_code}"
            named.update(dict.fromkeys(assets_of(response.text), f"{role} {path}"))
    assert {"/static/vendor/htmx/htmx.min.js", "/static/vendor/leaflet/leaflet.js", "/static/js/minhu.js",
            "/static/vendor/echarts/echarts.min.js", "/static/vendor/swagger-ui/swagger-ui-bundle.js",
            "/static/js/picker.js", "/static/js/console.js", "/static/js/pin.js"} <= set(named)
    problems = check_assets(client, sorted(named))
    assert not problems, "\n".join(f"{p} (named by {named.get(p.split(':')[0], 'a style sheet')})" for p in problems)


@pytest.mark.one_engine
def test_every_static_path_written_in_a_template_or_the_code_is_served(client: TestClient) -> None:
    """The pages above cover the common paths; this covers the rest: any /static/ address in a template or in the
    Python and JavaScript sources (outside the vendored files) is served."""
    written: set[str] = set()
    for source in [*SRC.rglob("*.html"), *SRC.rglob("*.py"), *(SRC / "web" / "static" / "js").glob("*.js")]:
        written.update(p.rstrip(".,;") for p in _STATIC.findall(source.read_text("utf-8")))
    assert "/static/vendor/leaflet/leaflet.css" in written
    problems = check_assets(client, sorted(written))
    assert not problems, "\n".join(problems)
