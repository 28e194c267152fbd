"""Intake throughput: minhu's POST /api/v1/orders against a bare validate-and-insert endpoint.

For each database (a SQLite file in a temporary directory; PostgreSQL on 127.0.0.1:5432 when a
server answers there) the benchmark migrates a fresh database, loads the demo city, and starts two
servers, each a separate uvicorn process on 127.0.0.1:

* minhu itself (``python -m minhu serve --no-migrate``), and
* the anchor: a tiny FastAPI app defined below that validates a similar body with a pydantic model
  and inserts one row into a one-table schema of the same kind of database (SQLite in WAL mode with
  ``synchronous=FULL`` behind one writer connection; PostgreSQL through a pool of ten connections).

Both get the same requests (a realistic mix of citizen requests, each with its own Idempotency-Key)
from 1 and from 32 concurrent clients. On PostgreSQL the whole comparison runs twice: with one server
process each, then with two each (``minhu serve --workers 2`` against the anchor under uvicorn's two
workers); SQLite, where one process writes, runs one. Repetitions are interleaved (minhu, anchor, minhu, anchor…)
and the median is kept, so the ratio minhu/anchor holds on a noisy machine even when the absolute
figures do not.

    python bench/intake.py                 # 10,000 orders per server and database
    python bench/intake.py --quick         # smoke run: 300 orders, one repetition
    python bench/intake.py --orders 2000 --databases sqlite
    python bench/intake.py --databases postgresql --processes 2

Results: a table on stdout and bench/results/intake-<database>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import queue
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field, StrictBool

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the repository's bench/
from bench.postgres import HOST, pg_recreate, pg_url, postgres_available

PG_DATABASES = {"minhu": "minhu_bench", "bare": "minhu_bench_bare"}
DEMO_USER = "operator"
DEMO_PASSWORD = "minhu-demo"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_ORDERS = 10_000
QUICK_ORDERS = 300
DEFAULT_CLIENTS = (1, 32)
WARMUP_ORDERS = 64
STARTUP_SECONDS = 60.0
REQUEST_TIMEOUT = 60.0
TARGETS = ("minhu", "bare")


# --------------------------------------------------------------------------------------------
# The anchor: validate a similar body, insert one row, answer 201.
# --------------------------------------------------------------------------------------------


class BareType(StrEnum):
    COMPLAINT = "complaint"
    HELP = "help"
    CONSULTATION = "consultation"
    SUGGESTION = "suggestion"
    REPORT = "report"
    PRAISE = "praise"


class BareChannel(StrEnum):
    HOTLINE = "hotline"
    WEB_BOARD = "web_board"
    MOBILE = "mobile"
    GRID_PATROL = "grid_patrol"
    LEADER_MAILBOX = "leader_mailbox"
    API = "api"
    IMPORT = "import"


class BareUrgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


BARE_PHONE = r"^(?:(?:\+?86)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$"


class BareOrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: BareType
    channel: BareChannel = BareChannel.API
    urgency: BareUrgency = BareUrgency.NORMAL
    title: Annotated[str, Field(min_length=1, max_length=200)]
    content: Annotated[str, Field(min_length=1, max_length=20_000)]
    citizen_name: Annotated[str | None, Field(max_length=100)] = None
    citizen_phone: Annotated[str | None, Field(pattern=BARE_PHONE)] = None
    anonymous: StrictBool = False
    confidential: StrictBool = False
    address: Annotated[str | None, Field(max_length=500)] = None
    latitude: Annotated[float | None, Field(ge=-90, le=90)] = None
    longitude: Annotated[float | None, Field(ge=-180, le=180)] = None


class BareOrderRead(BareOrderCreate):
    id: int
    created_at: datetime


BARE_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS bare_orders (
    id INTEGER PRIMARY KEY,
    idempotency_key VARCHAR(200) UNIQUE,
    type VARCHAR(16) NOT NULL, channel VARCHAR(16) NOT NULL, urgency VARCHAR(16) NOT NULL,
    title VARCHAR(200) NOT NULL, content TEXT NOT NULL,
    citizen_name VARCHAR(100), citizen_phone VARCHAR(32), anonymous BOOLEAN NOT NULL, confidential BOOLEAN NOT NULL,
    address VARCHAR(500), latitude FLOAT, longitude FLOAT, created_at VARCHAR(32) NOT NULL
)"""
BARE_PG_SCHEMA = BARE_SQLITE_SCHEMA.replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY").replace(
    "created_at VARCHAR(32)", "created_at TIMESTAMPTZ")
BARE_COLUMNS = ("idempotency_key", "type", "channel", "urgency", "title", "content", "citizen_name",
                "citizen_phone", "anonymous", "confidential", "address", "latitude", "longitude", "created_at")


class BarePool:
    """A fixed set of DB-API connections handed out one request at a time."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        self._free: queue.Queue[Any] = queue.Queue()
        if self.sqlite:
            # One writer, as in minhu: SQLite serialises writers anyway, and waiting on a lock
            # in Python is cheaper than spinning on the busy timeout.
            connection = sqlite3.connect(parsed.database or "", check_same_thread=False, isolation_level=None,
                                         timeout=30)
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
                connection.execute(f"PRAGMA {pragma}")
            connection.execute(BARE_SQLITE_SCHEMA)
            self._free.put(connection)
            placeholders = ", ".join("?" for _ in BARE_COLUMNS)
        else:
            import psycopg

            dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            for _ in range(10):
                pg = psycopg.connect(dsn)
                pg.execute(BARE_PG_SCHEMA)
                pg.commit()
                self._free.put(pg)
            placeholders = ", ".join("%s" for _ in BARE_COLUMNS)
        self.insert_sql = (f"INSERT INTO bare_orders ({', '.join(BARE_COLUMNS)}) VALUES ({placeholders}) "
                           "RETURNING id")

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        connection = self._free.get(timeout=60)
        try:
            yield connection
        finally:
            self._free.put(connection)

    def insert(self, values: Sequence[Any]) -> int:
        with self.connection() as connection:
            if self.sqlite:
                connection.execute("BEGIN IMMEDIATE")
            try:
                row_id = int(connection.execute(self.insert_sql, values).fetchone()[0])
                if self.sqlite:
                    connection.execute("COMMIT")
                else:
                    connection.commit()
            except BaseException:
                if self.sqlite:
                    connection.execute("ROLLBACK")
                else:
                    connection.rollback()
                raise
            return row_id


def make_bare_app(url: str) -> FastAPI:
    """The anchor app: the least a real create endpoint does (validate, insert, echo the record)."""
    pool = BarePool(url)
    app = FastAPI(title="bare intake")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/orders", response_model=BareOrderRead, status_code=201)
    def create_order(body: BareOrderCreate,
                     idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> BareOrderRead:
        now = datetime.now(UTC)
        fields = body.model_dump()
        values = [idempotency_key, *(fields[c] for c in BARE_COLUMNS[1:-1]),
                  now.isoformat() if pool.sqlite else now]
        row_id = pool.insert(values)
        return BareOrderRead(**fields, id=row_id, created_at=now)

    return app


def serve_bare(url: str, port: int, workers: int = 1) -> None:
    import uvicorn

    # The same uvicorn settings as ``minhu serve`` (access log included), and as many processes.
    if workers > 1:
        os.environ["BENCH_BARE_URL"] = url
        uvicorn.run("bench.intake:bare_app_from_environment", factory=True, workers=workers, host=HOST, port=port,
                    log_level="info", proxy_headers=False)
        return
    uvicorn.run(make_bare_app(url), host=HOST, port=port, log_level="info", proxy_headers=False)


def bare_app_from_environment() -> FastAPI:
    """The anchor app in one of several server processes (``--workers``), on the database named by the
    environment."""
    return make_bare_app(os.environ["BENCH_BARE_URL"])


# --------------------------------------------------------------------------------------------
# The requests: a realistic, reproducible mix of citizen requests.
# --------------------------------------------------------------------------------------------

STREETS = ("积玉桥街", "杨园街", "徐家棚街", "粮道街", "中华路街", "黄鹤楼街", "紫阳街", "白沙洲街",
           "首义路街", "中南路街", "水果湖街", "珞珈山街", "石洞街", "南湖街")
ROADS = ("和平大道", "中山路", "友谊大道", "中南路", "武珞路", "临江大道", "徐东大街", "八一路", "解放路",
         "胭脂路", "民主路", "东湖路", "珞狮北路", "丁字桥路")
PLACES = ("小区", "社区", "花园", "公寓", "家属院", "新村", "商业广场", "农贸市场")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
SUBJECTS: dict[str, tuple[str, ...]] = {
    "complaint": ("夜间施工噪音扰民", "餐馆油烟直排", "物业乱收费", "广场舞音响声音过大", "渣土车抛洒路面",
                  "预付卡商家闭店拒不退费", "小区电梯频繁故障", "楼道堆放杂物无人清理", "出租车拒载绕路",
                  "共享单车乱停占道"),
    "help": ("路灯损坏多日未修", "下水道堵塞污水外溢", "小区停水无人通知", "老旧小区屋顶漏水",
             "独居老人生活困难需要帮扶", "窨井盖缺失存在安全隐患", "二次供水水压不足", "暴雨后道路积水严重"),
    "consultation": ("灵活就业人员如何缴纳医保", "新生儿落户需要哪些材料", "公积金提取办理流程",
                     "小学入学划片范围", "居住证办理条件", "老旧小区加装电梯补贴政策", "失业金申领条件"),
    "suggestion": ("建议增设非机动车道", "建议延长公交末班车时间", "建议在路口增设红绿灯",
                   "建议增加社区养老服务点", "建议增设公共充电桩", "建议改造公园公共厕所"),
    "report": ("人行道占道经营", "违规搭建阳台", "无证经营小作坊", "非法排污进入湖泊", "群租房消防隐患",
               "违规发放小广告"),
}
DETAILS = (
    "情况已经持续一个多星期，周边居民意见很大。", "之前已经向物业和社区反映过，至今没有答复。",
    "家里有老人和小孩，晚上根本无法休息。", "希望有关部门尽快到现场核实处理。",
    "早晚高峰时段尤其严重，行人只能走机动车道。", "附近还有一所小学，存在较大的安全隐患。",
    "请相关单位给予明确答复，并告知办理时限。", "我已经拍了照片，可以配合提供现场情况。",
    "这个问题去年也出现过，当时处理后不久又反弹。", "希望能够从根本上解决，而不是临时应付。",
    "具体位置在小区东门往北大约五十米的地方。", "雨天更加明显，路面湿滑，已经有人摔倒。",
    "工作人员态度也不太好，推说不归他们管。", "请问应该向哪个部门申请，需要准备哪些材料？",
    "希望答复时能够电话联系我，白天都方便接听。", "楼里住户大多是退休职工，行动不便。",
)
OPENINGS = {"hotline": "市民来电反映：", "web_board": "网友留言：", "mobile": "市民通过移动端反映：",
            "grid_patrol": "网格员巡查发现：", "leader_mailbox": "市民来信反映：", "api": "区级平台转来："}
CHANNEL_WEIGHTS = (("hotline", 55), ("web_board", 15), ("mobile", 15), ("grid_patrol", 7),
                   ("leader_mailbox", 3), ("api", 5))
TYPE_WEIGHTS = (("complaint", 40), ("help", 25), ("consultation", 15), ("suggestion", 10), ("report", 10))
URGENCY_WEIGHTS = (("normal", 90), ("urgent", 8), ("emergency", 2))


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _phone(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.80:
        return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    if roll < 0.93:
        return f"027-{rng.randrange(8, 9)}{rng.randrange(10**7):07d}"
    return None


def make_order(rng: random.Random) -> dict[str, Any]:
    """One request body as a hotline operator would register it."""
    kind = _weighted(rng, TYPE_WEIGHTS)
    channel = _weighted(rng, CHANNEL_WEIGHTS)
    street, road, place = rng.choice(STREETS), rng.choice(ROADS), rng.choice(PLACES)
    subject = rng.choice(SUBJECTS[kind])
    title = rng.choice((f"{road}{subject}", f"{street}{subject}", subject, f"关于{road}附近{subject}的问题"))
    target = rng.choice((rng.randint(30, 80), rng.randint(60, 180), rng.randint(120, 400)))
    content = f"{OPENINGS[channel]}{street}{road}{rng.randint(1, 300)}号{place}附近{subject}。"
    details = rng.sample(DETAILS, len(DETAILS))
    while len(content) < target:
        content += details.pop() if details else f"{subject}的问题反映多次，希望尽快解决。"
    content = content[:400]
    anonymous = rng.random() < 0.05
    body: dict[str, Any] = {
        "type": kind, "channel": channel, "urgency": _weighted(rng, URGENCY_WEIGHTS),
        "title": title, "content": content,
        "citizen_name": None if anonymous else f"{rng.choice(SURNAMES)}{rng.choice(('先生', '女士', '师傅', '阿姨'))}",
        "citizen_phone": None if channel == "grid_patrol" else _phone(rng),
        "anonymous": anonymous, "confidential": rng.random() < 0.02,
        "address": None if kind == "consultation" and rng.random() < 0.6
        else f"武昌区{street}{road}{rng.randint(1, 300)}号{place}",
    }
    if rng.random() < 0.4:
        body["latitude"] = round(30.55 + rng.uniform(-0.04, 0.04), 6)
        body["longitude"] = round(114.31 + rng.uniform(-0.04, 0.04), 6)
    return body


def make_payloads(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [json.dumps(make_order(rng), ensure_ascii=False).encode("utf-8") for _ in range(count)]


# --------------------------------------------------------------------------------------------
# Servers in subprocesses.
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text("utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_server(name: str, command: list[str], env: dict[str, str], port: int, log: Path) -> Server:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(name, process, port, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{server.base_url}/healthz").status_code == 200:
                    return server
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"{name} did not answer /healthz within {STARTUP_SECONDS:.0f}s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=15)


# --------------------------------------------------------------------------------------------
# Load.
# --------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    target: str
    clients: int
    orders: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    client_cpu: float  # CPU seconds of this process per wall second during the run

    @property
    def ok(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


def drive(server: Server, token: str, payloads: Sequence[bytes], clients: int, key_prefix: str) -> RunResult:
    """Send every payload once, from ``clients`` threads each holding one keep-alive connection."""
    lock = threading.Lock()
    position = 0
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[Counter[int]] = [Counter() for _ in range(clients)]
    failures: list[BaseException] = []
    ready = threading.Barrier(clients + 1)
    url = f"{server.base_url}/api/v1/orders"

    def worker(index: int) -> None:
        nonlocal position
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        with httpx.Client(timeout=REQUEST_TIMEOUT, limits=limits) as client:
            ready.wait()
            while True:
                with lock:
                    if position >= len(payloads):
                        return
                    i = position
                    position += 1
                headers["Idempotency-Key"] = f"{key_prefix}-{i}-{uuid.uuid4()}"
                started = time.perf_counter()
                try:
                    response = client.post(url, content=payloads[i], headers=headers)
                except httpx.HTTPError as exc:
                    statuses[index][0] += 1
                    failures.append(exc)
                    continue
                latencies[index].append((time.perf_counter() - started) * 1000)
                statuses[index][response.status_code] += 1
                if response.status_code != 201 and len(failures) < 5:
                    failures.append(RuntimeError(f"{response.status_code}: {response.text[:300]}"))

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * len(payloads))
    seconds = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    total: Counter[int] = Counter()
    for counter in statuses:
        total.update(counter)
    for failure in failures[:3]:
        print(f"    ! {server.name}: {failure}", file=sys.stderr)
    return RunResult(server.name, clients, len(payloads), seconds, [x for part in latencies for x in part],
                     dict(total), cpu / seconds if seconds > 0 else 0.0)


def get_token(server: Server) -> str:
    if server.name == "bare":
        return "none"
    response = httpx.post(f"{server.base_url}/api/v1/auth/token",
                          json={"username": DEMO_USER, "password": DEMO_PASSWORD}, timeout=REQUEST_TIMEOUT)
    response.raise_for_status()
    return str(response.json()["access_token"])


# --------------------------------------------------------------------------------------------
# Databases.
# --------------------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    url: str
    home: Path
    server: Server | None = None
    token: str = ""


# The labelled messages `make run` trains the demo on; without them the demo trains on its catalog.
LABELLED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "messages_train.csv"


def prepare_minhu(env: dict[str, str], *, timeout: float = 300) -> None:
    """Migrate, load the demo city (units, the operator account, sample orders) and train its classifier
    through the CLI — as ``make run`` does, so that every order is classified, graded and routed."""
    for command in (["db", "upgrade"], ["demo", "load"], ["demo", "train", "--data", str(LABELLED)]):
        done = subprocess.run([sys.executable, "-m", "minhu", *command], env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"minhu {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def prepare_targets(database: str, work: Path, stack: contextlib.ExitStack) -> dict[str, Target]:
    """Fresh databases for both targets; minhu's migrated, with the demo city and its trained classifier."""
    if database == "sqlite":
        urls = {"minhu": f"sqlite:///{work / 'minhu' / 'minhu.db'}", "bare": f"sqlite:///{work / 'bare.db'}"}
    else:
        for name in PG_DATABASES.values():
            pg_recreate(name)
            stack.callback(pg_recreate, name, drop_only=True)
        urls = {target: pg_url(name) for target, name in PG_DATABASES.items()}
    targets = {name: Target(name, urls[name], work / name) for name in TARGETS}
    for target in targets.values():
        target.home.mkdir(parents=True, exist_ok=True)
    prepare_minhu(_minhu_env(targets["minhu"]))
    return targets


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MINHU_")}


def _minhu_env(target: Target) -> dict[str, str]:
    return {**_base_env(), "MINHU_HOME": str(target.home), "MINHU_DATABASE_URL": target.url}


def start_targets(targets: dict[str, Target], work: Path, stack: contextlib.ExitStack, processes: int) -> None:
    """Start both servers with ``processes`` server processes each (stopped when ``stack`` closes)."""
    for target in targets.values():
        port = free_port()
        if target.name == "minhu":
            command = [sys.executable, "-m", "minhu", "serve", "--host", HOST, "--port", str(port), "--no-migrate",
                       "--workers", str(processes)]
            env = _minhu_env(target)
        else:
            command = [sys.executable, str(Path(__file__).resolve()), "--serve-bare", "--db", target.url,
                       "--port", str(port), "--serve-workers", str(processes)]
            env = {**_base_env(), "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        target.server = start_server(f"{target.name}", command, env, port, work / f"{target.name}-{processes}.log")
        stack.callback(stop_server, target.server)
        target.token = get_token(target.server)


# --------------------------------------------------------------------------------------------
# Figures.
# --------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


@dataclass
class Cell:
    """One (target, clients) pair over its repetitions."""

    runs: list[RunResult] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return statistics.median(r.per_second for r in self.runs)

    def latency(self, q: float) -> float:
        return percentile([x for r in self.runs for x in r.latencies_ms], q)

    def as_json(self) -> dict[str, Any]:
        statuses: Counter[int] = Counter()
        for run in self.runs:
            statuses.update(run.statuses)
        return {
            "orders_per_second": round(self.per_second, 1),
            "p50_ms": round(self.latency(50), 2),
            "p99_ms": round(self.latency(99), 2),
            "orders": sum(r.orders for r in self.runs),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "repetitions": [{"orders": r.orders, "seconds": round(r.seconds, 3),
                             "orders_per_second": round(r.per_second, 1),
                             "p50_ms": round(percentile(r.latencies_ms, 50), 2),
                             "p99_ms": round(percentile(r.latencies_ms, 99), 2),
                             "client_cpu": round(r.client_cpu, 2)} for r in self.runs],
        }


def git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).resolve().parent,
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def bench_database(database: str, *, orders: int, clients: Sequence[int], repeats: int, quick: bool,
                   processes: Sequence[int]) -> dict[str, Any]:
    by_processes: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="minhu-bench-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        print(f"== {database}: preparing databases")
        targets = prepare_targets(database, work, stack)
        for n_processes in processes:
            with contextlib.ExitStack() as servers:
                print(f"== {database}: {n_processes} server process(es) each")
                start_targets(targets, work, servers, n_processes)
                by_processes[str(n_processes)] = _bench_cells(targets, orders=orders, clients=clients,
                                                              repeats=repeats)
    return {
        "database": database,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "orders_per_target": orders,
        "repetitions": repeats,
        "warmup_orders": WARMUP_ORDERS,
        "command": " ".join(["python", "bench/intake.py", *sys.argv[1:]]),
        "commit": git_commit(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "processes": by_processes,
    }


def _bench_cells(targets: dict[str, Target], *, orders: int, clients: Sequence[int],
                 repeats: int) -> dict[str, Any]:
    cells: dict[tuple[str, int], Cell] = {(t, c): Cell() for t in TARGETS for c in clients}
    for target in targets.values():
        assert target.server is not None
        drive(target.server, target.token, make_payloads(WARMUP_ORDERS, seed=7), max(clients), "warmup")
    per_clients = split(orders, len(clients))
    seed = 1000
    for repetition in range(repeats):
        for n_clients, share in zip(clients, per_clients, strict=True):
            count = split(share, repeats)[repetition]
            if count == 0:
                continue
            seed += 1
            payloads = make_payloads(count, seed)
            # Alternate which target goes first, so a drifting machine hurts both alike.
            order = TARGETS if repetition % 2 == 0 else TARGETS[::-1]
            for name in order:
                target = targets[name]
                assert target.server is not None
                result = drive(target.server, target.token, payloads, n_clients, f"r{repetition}")
                cells[(name, n_clients)].runs.append(result)
                print(f"   rep {repetition + 1}/{repeats} {name:5} {n_clients:2} clients: "
                      f"{result.per_second:8.1f} orders/s  p50 {percentile(result.latencies_ms, 50):7.1f} ms  "
                      f"p99 {percentile(result.latencies_ms, 99):7.1f} ms  "
                      f"(ok {result.ok}/{result.orders}, client cpu {result.client_cpu:.2f})")
    figures: dict[str, Any] = {}
    for n_clients in clients:
        minhu, bare = cells[("minhu", n_clients)], cells[("bare", n_clients)]
        ratios = [m.per_second / b.per_second for m, b in zip(minhu.runs, bare.runs, strict=True)
                  if b.per_second > 0]
        # Each repetition ran minhu and the anchor back to back on the same payloads: the median of
        # those paired ratios is the figure least moved by whatever else the machine was doing.
        figures[str(n_clients)] = {
            "minhu": minhu.as_json(), "bare": bare.as_json(),
            "ratio": round(statistics.median(ratios), 3) if ratios else None,
            "ratio_of_medians": round(minhu.per_second / bare.per_second, 3) if bare.per_second else None,
            "p99_ratio": round(minhu.latency(99) / bare.latency(99), 2) if bare.latency(99) else None,
            "ratio_per_repetition": [round(r, 3) for r in ratios],
        }
    return figures


def print_table(results: Sequence[dict[str, Any]]) -> None:
    header = (f"{'database':10} {'proc':>4} {'clients':>7} │ {'minhu/s':>8} {'p50 ms':>7} {'p99 ms':>7} │ "
              f"{'bare/s':>8} {'p50 ms':>7} {'p99 ms':>7} │ {'ratio':>5} {'p99×':>5}")
    print()
    print(header)
    print("─" * len(header))
    for result in results:
        for n_processes, cells in result["processes"].items():
            for n_clients, row in cells.items():
                m, b = row["minhu"], row["bare"]
                ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "—"
                p99 = f"{row['p99_ratio']:.1f}" if row["p99_ratio"] is not None else "—"
                print(f"{result['database']:10} {n_processes:>4} {n_clients:>7} │ {m['orders_per_second']:8.1f} "
                      f"{m['p50_ms']:7.1f} {m['p99_ms']:7.1f} │ {b['orders_per_second']:8.1f} {b['p50_ms']:7.1f} "
                      f"{b['p99_ms']:7.1f} │ {ratio:>5} {p99:>5}")
    print("orders/s: median of the repetitions; p50/p99: over every request of the cell; "
          "proc: server processes of each target")
    print("ratio: median over repetitions of minhu orders/s ÷ bare orders/s, measured back to back; goal ≥ 0.50")
    print("p99×: minhu's p99 ÷ the bare endpoint's p99; goal ≤ 2 at 32 clients")


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(143)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=None,
                        help=f"orders per server and database, split across the client counts ({DEFAULT_ORDERS})")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_ORDERS} orders, one repetition")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repetitions (3; 1 with --quick)")
    parser.add_argument("--clients", default=",".join(map(str, DEFAULT_CLIENTS)), help="concurrent clients")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument("--processes", default="1,2",
                        help="server processes of each target on PostgreSQL (SQLite always runs one)")
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-workers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve_bare:
        if not args.db or not args.port:
            parser.error("--serve-bare needs --db and --port")
        serve_bare(args.db, args.port, args.serve_workers)
        return 0

    orders = args.orders if args.orders is not None else (QUICK_ORDERS if args.quick else DEFAULT_ORDERS)
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    clients = [int(c) for c in args.clients.split(",") if c.strip()]
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if orders < 1 or repeats < 1 or not clients or min(clients) < 1 or max(clients) > 256:
        parser.error("--orders and --repeats must be positive, clients between 1 and 256")
    if unknown := set(databases) - {"sqlite", "postgresql"}:
        parser.error(f"unknown database {', '.join(sorted(unknown))}")

    signal.signal(signal.SIGTERM, _terminate)
    results = []
    for database in databases:
        if database == "postgresql" and not postgres_available():
            print(f"== postgresql: no server answers on {HOST}:5432 with the bench login; skipped")
            continue
        processes = [1] if database == "sqlite" else [int(p) for p in args.processes.split(",") if p.strip()]
        result = bench_database(database, orders=orders, clients=clients, repeats=repeats, quick=args.quick,
                                processes=processes)
        results.append(result)
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"intake-{database}{'-quick' if args.quick else ''}.json"
        path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"   written {path.relative_to(RESULTS_DIR.parent.parent)}")
    if results:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
