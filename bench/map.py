"""The one map under load: the demo city's 1,079 grids with 5,000 live orders, in headless Chromium.

Loads the demo into a fresh SQLite database, adds live orders at points inside random grids until
5,000 are open, serves minhu on 127.0.0.1 and opens /map as the dispatcher. Measured in the browser:
the time from navigation until every layer and point is drawn, the frames during a scripted pan and
zoom (frames per second and the longest frame), and the time from a click on a grid to its card.

    python bench/map.py            # 5,000 live points
    python bench/map.py --points 1000

Results: a table on stdout and bench/results/map.json. Needs /usr/bin/chromium (make browser-deps).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from playwright.sync_api import sync_playwright  # noqa: E402
from shapely.geometry import Point, shape  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import undefer  # noqa: E402

from minhu.config import Settings  # noqa: E402
from minhu.core import migrate  # noqa: E402
from minhu.core.db import Database  # noqa: E402
from minhu.demo import city  # noqa: E402
from minhu.orders import service as order_service  # noqa: E402
from minhu.orders.enums import Channel, OrderType  # noqa: E402
from minhu.orders.models import WorkOrder  # noqa: E402
from minhu.orders.schemas import OrderCreate  # noqa: E402
from minhu.org.models import Unit, User  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
RESULTS = ROOT / "bench" / "results" / "map.json"

# Pan in a circle and zoom in and out: what a leader does on the big screen.
INTERACT = """async () => {
  const map = document.getElementById('map').minhuMap;
  const frames = [];
  let last = performance.now(), running = true;
  const tick = (now) => { frames.push(now - last); last = now; if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const start = performance.now();
  for (let i = 0; i < 24; i++) {
    map.panBy([Math.cos(i / 4) * 120, Math.sin(i / 4) * 120], {animate: true, duration: 0.25});
    await new Promise(r => setTimeout(r, 260));
  }
  for (const delta of [1, 1, -1, -1]) {
    map.setZoom(map.getZoom() + delta, {animate: true});
    await new Promise(r => setTimeout(r, 400));
  }
  running = false;
  const seconds = (performance.now() - start) / 1000;
  frames.shift();
  const median = frames.slice().sort((a, b) => a - b)[frames.length >> 1];
  return {seconds, frames: frames.length, worst: Math.max(...frames), median};
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(home: Path, points: int) -> tuple[int, int, tuple[float, float]]:
    settings = Settings(home=home)
    settings.ensure_home()
    db = Database(settings.effective_database_url)
    migrate.upgrade(db)
    city.load(db)
    rng = random.Random(5)
    with db.transaction() as session:
        operator = session.scalars(select(User).where(User.username == "operator")).one()
        grids = [u for u in session.scalars(select(Unit).where(Unit.kind == "grid").options(undefer(Unit.geometry)))
                 if u.geometry]
        live = session.scalar(select(func.count()).select_from(WorkOrder).where(
            WorkOrder.status.not_in(["archived", "voided"]), WorkOrder.latitude.is_not(None))) or 0
        for _ in range(max(0, points - live)):
            area = shape(rng.choice(grids).geometry)
            min_x, min_y, max_x, max_y = area.bounds
            point = area.representative_point()
            for _try in range(20):
                candidate = Point(rng.uniform(min_x, max_x), rng.uniform(min_y, max_y))
                if area.contains(candidate):
                    point = candidate
                    break
            data = OrderCreate(type=OrderType.COMPLAINT, channel=Channel.HOTLINE, title="占道经营",
                               content="人行道上摊贩占道经营。", latitude=round(point.y, 6),
                               longitude=round(point.x, 6))
            order_service.create_order(session, data, actor=operator)
    with db.read() as session:
        live = session.scalar(select(func.count()).select_from(WorkOrder).where(
            WorkOrder.status.not_in(["archived", "voided"]), WorkOrder.latitude.is_not(None))) or 0
        grid_count = session.scalar(select(func.count()).select_from(Unit).where(Unit.kind == "grid")) or 0
        first = session.scalars(select(Unit).where(Unit.code == city.FIRST_GRID)).one()
        centre = shape(first.geometry).representative_point()
    db.dispose()
    return live, grid_count, (centre.y, centre.x)


def measure(base: str, grid_centre: tuple[float, float]) -> dict[str, Any]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                                     "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
        page.goto(f"{base}/login")
        page.get_by_label("用户名").fill("dispatcher")
        page.get_by_label("密码").fill(city.DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/orders")
        started = time.perf_counter()
        page.goto(f"{base}/map")
        page.wait_for_selector("#map[data-ready='true']", timeout=60_000)
        ready_ms = (time.perf_counter() - started) * 1000
        drawn = page.locator("#map-status").inner_text()
        interaction = page.evaluate(INTERACT)
        box = page.locator("#map").bounding_box()
        assert box is not None
        # A spot on a grid with no order point within 15 px, as a person would pick to click the grid.
        x, y = page.evaluate("""(centre) => {
          const el = document.getElementById('map'), m = el.minhuMap;
          m.setView(centre, 16, {animate: false});
          const pts = [];
          el.minhuOrders.eachLayer(l => pts.push(m.latLngToContainerPoint(l.getLatLng())));
          const size = m.getSize();
          const c = m.latLngToContainerPoint(centre);
          for (let r = 0; r < 60; r += 3) for (let a = 0; a < 6.28; a += 0.5) {
            const x = c.x + r * Math.cos(a), y = c.y + r * Math.sin(a);
            if (pts.every(p => Math.hypot(p.x - x, p.y - y) > 15)) return [x, y];
          }
          return [c.x, c.y];
        }""", list(grid_centre))
        started = time.perf_counter()
        page.mouse.click(box["x"] + x, box["y"] + y)
        opened = "none"
        try:
            page.wait_for_selector(".leaflet-popup .unit-card, .leaflet-popup-content strong", timeout=10_000)
            opened = page.locator(".leaflet-popup").first.inner_text().split("\n")[0]
        except Exception:
            opened = f"navigated to {page.url}"
        card_ms = (time.perf_counter() - started) * 1000
        browser.close()
    return {"ready_ms": round(ready_ms), "status_line": drawn,
            "fps": round(interaction["frames"] / interaction["seconds"], 1),
            "median_frame_ms": round(interaction["median"], 1), "worst_frame_ms": round(interaction["worst"], 1),
            "click_to_card_ms": round(card_ms), "card": opened}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--points", type=int, default=5000)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print("bench/map.py needs Chromium at /usr/bin/chromium (make browser-deps); skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="minhu-map-bench-") as tmp:
        home = Path(tmp) / "home"
        started = time.perf_counter()
        live, grids, grid_centre = prepare(home, args.points)
        prepared = time.perf_counter() - started
        port = free_port()
        env = {**os.environ, "MINHU_HOME": str(home)}
        command = [str(Path(sys.executable).parent / "minhu"), "serve", "--port", str(port), "--no-migrate"]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("minhu did not start") from None
                    time.sleep(0.1)
            figures = measure(f"http://127.0.0.1:{port}", grid_centre)
        finally:
            server.terminate()
            server.wait(timeout=10)
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "command": "python bench/map.py",
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "grids": grids, "live_points": live, "prepare_s": round(prepared, 1), **figures}
    print(f"map with {grids:,} grids and {live:,} live points (prepared in {prepared:.0f} s):")
    print(f"  ready (all layers and points drawn): {figures['ready_ms']:,} ms")
    print(f"  pan and zoom: {figures['fps']} frames/s, median frame {figures['median_frame_ms']} ms, "
          f"worst {figures['worst_frame_ms']} ms")
    print(f"  click on a grid to its card: {figures['click_to_card_ms']} ms ({figures['card']})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
