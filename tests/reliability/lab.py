"""The fault lab: the app in production shape on services of its own.

Its own PostgreSQL (initdb under /tmp) and Redis (AOF on, as in
docker-compose.yml) on free loopback ports, an SMTP sink (aiosmtpd) that can
be stopped or made to hang, gunicorn with hub.gunicorn_conf, a real Celery
worker on the three queues (restarted when it dies, as docker-compose's
restart policy and `make worker` do) and Celery beat. Each can be broken on
purpose; nothing here touches the machine's shared services.

`Profile` holds the timings: SHORT for the suite (each experiment a minute
or less), PRODUCTION for `make chaos` (the shipped defaults).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


@dataclass(frozen=True)
class Profile:
    name: str
    visibility_timeout: int  # seconds; the broker's, and everything derived from it
    smtp_outage: float  # longer than the visibility timeout
    redis_outage: float
    postgres_outage: float
    webhook_sweep_after: int
    sweep_seconds: float
    # How long an experiment may wait for the effects to settle.
    settle: float
    requests: int = 5
    # A client's patience (a load balancer's timeout) and the longest a page
    # may take when a table is locked. The suite shares two cores with other
    # work, so its limits say "bounded", the production run's say "fast".
    client_timeout: float = 2
    locked_page_limit: float = 5
    healthz_limit: float = 1

    def env(self) -> dict[str, str]:
        if self.name == "production":
            return {}  # the shipped defaults, nothing overridden
        return {
            "CELERY_VISIBILITY_TIMEOUT": str(self.visibility_timeout),
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "TASK_RETRY_BROKER_MAX_DELAY": str(self.visibility_timeout // 2),
            "TASK_RETRY_SWEEP_SECONDS": str(self.sweep_seconds),
            "WEBHOOK_SWEEP_AFTER": str(self.webhook_sweep_after),
            "WEBHOOK_SWEEP_SECONDS": str(self.sweep_seconds),
            "ACCESS_LINK_SEND_LEASE": str(max(1, self.visibility_timeout // 2)),
            "EMAIL_TIMEOUT": "3",
            "WORKER_HEARTBEAT_SECONDS": "1",
        }


SHORT = Profile(
    name="short",
    visibility_timeout=6,
    smtp_outage=12,
    redis_outage=8,
    postgres_outage=8,
    webhook_sweep_after=4,
    sweep_seconds=1,
    settle=60,
    client_timeout=20,
    locked_page_limit=20,
    healthz_limit=3,
)
PRODUCTION = Profile(
    name="production",
    visibility_timeout=300,
    smtp_outage=600,
    redis_outage=60,
    postgres_outage=60,
    webhook_sweep_after=600,
    sweep_seconds=30,
    settle=1500,
    requests=10,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, *, timeout: float, interval: float = 0.2, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001, S110 - not up yet
            pass
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what or check}")


# --- PostgreSQL -------------------------------------------------------------------


def postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if not path:
        raise RuntimeError(f"{name} not found (Debian: apt-get install postgresql)")
    return path


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the postgres user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class OwnPostgres:
    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "pg"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/hub"

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [postgres_bin("initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
                 "--auth=trust", "--no-sync", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
        )  # fmt: skip
        self.start()
        subprocess.run(
            [postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "hub"],
            check=True,
            capture_output=True,
        )  # fmt: skip

    def start(self) -> None:
        subprocess.run(
            _as_postgres(
                [postgres_bin("pg_ctl"), "-D", str(self.dir / "data"), "-w", "-l",
                 str(self.dir / "log"), "-o",
                 f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off",
                 "start"]
            ),
            check=True,
            capture_output=True,
        )  # fmt: skip

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                [postgres_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w",
                 "stop"]
            ),
            capture_output=True,
        )  # fmt: skip

    def psql(self, sql: str) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True, connect_timeout=3) as conn:
            rows = (
                conn.execute(sql).fetchall()
                if sql.lstrip().lower().startswith(("select", "with"))
                else []
            )
        return "\n".join("|".join(str(v) for v in row) for row in rows)


# --- Redis ----------------------------------------------------------------------------


class OwnRedis:
    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "redis"
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # AOF on, as docker-compose.yml runs it: queued tasks survive a restart.
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1",
             "--port", str(self.port), "--dir", str(self.dir), "--appendonly", "yes",
             "--save", "", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.ping, timeout=10, what="redis")

    def ping(self) -> bool:
        import redis

        return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: AOF flushed, as a restart does
            self.process.wait(timeout=10)
        self.process = None


# --- the SMTP sink -------------------------------------------------------------------------


@dataclass
class SmtpSink:
    """aiosmtpd on a fixed port: `stop()` refuses connections (SMTP down),
    `hang` holds every conversation at RCPT (a worker is then mid-send)."""

    port: int = field(default_factory=free_port)
    messages: list = field(default_factory=list)
    hang: bool = False

    def __post_init__(self) -> None:
        self.controller = None
        self.lock = threading.Lock()

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                import asyncio

                while sink.hang:
                    await asyncio.sleep(0.1)
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                with sink.lock:
                    sink.messages.append(
                        email.message_from_bytes(envelope.content, policy=email.policy.default)
                    )
                return "250 Message accepted"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def texts(self) -> list[str]:
        with self.lock:
            found = []
            for message in self.messages:
                part = message.get_body(preferencelist=("plain",))
                found.append(part.get_content() if part else "")
            return found


# --- the app: gunicorn, worker, beat ------------------------------------------------------


class App:
    """The web, worker and beat processes on the lab's services."""

    def __init__(self, workdir: Path, profile: Profile, pg: OwnPostgres, redis, smtp: SmtpSink):
        self.dir = workdir
        self.profile = profile
        self.web_port = free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HUB_"))},
            "DJANGO_SETTINGS_MODULE": "tests.reliability.settings",
            "DEBUG": "0",
            "SECRET_KEY": "reliability-lab-secret-key-not-for-production-0123456789",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": self.base,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "FIELD_ENCRYPTION_KEYS": "dGVzdHMtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTE=",
            "DATABASE_URL": pg.url,
            "REDIS_URL": redis.url,
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "MEDIA_ROOT": str(workdir / "media"),
            # One address sends all the lab's requests.
            "HUB_ACCESS_RATE_PER_IP": "100000/600",
            "HUB_ACCESS_RATE_PER_EMAIL": "100000/600",
            "GUNICORN_ACCESS_LOG": str(workdir / "access.log"),
            "PDF_WARM_UP": "0",
            # Every request reads the vendor, as after the per-process cache
            # expired (the case issue 20 measured).
            "HUB_VENDOR_CACHE_SECONDS": "0",
            **profile.env(),
        }
        for name in ("CELERY_VISIBILITY_TIMEOUT",):
            self.env.setdefault(name, str(profile.visibility_timeout))
        self.web: subprocess.Popen | None = None
        self.pidfile = workdir / "gunicorn.pid"
        # A master started by a deploy (USR2) is not our child.
        self.adopted_web: int | None = None
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.worker_restarts = 0
        self.worker_deaths: list[int] = []
        self._supervise = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.log = open(workdir / "app.log", "ab")  # noqa: SIM115 - closed in stop()

    def manage(self, *args: str) -> None:
        result = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)}: {result.stderr[-600:]}")

    def python(self, code: str) -> str:
        result = subprocess.run(
            [PYTHON, "-c", "import django; django.setup()\n" + code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode:
            raise RuntimeError(result.stderr[-3000:])
        return result.stdout

    # web
    def start_web(self) -> None:
        self.web = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:hub.gunicorn_conf", "hub.wsgi",
             "--bind", f"127.0.0.1:{self.web_port}", "--workers", "2",
             "--pid", str(self.pidfile)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log,
        )  # fmt: skip
        wait_for(lambda: self.get("/healthz")[0] == 200, timeout=60, what="gunicorn")

    def deploy_web(self) -> None:
        """A deploy as the README tells an operator: USR2 to the master
        starts a new master on the new code (it inherits the listening
        socket and preloads); once the new master has its workers, TERM to
        the old master stops the old workers gracefully."""
        assert self.web is not None
        old = self.web
        new_pidfile = Path(f"{self.pidfile}.2")
        old.send_signal(signal.SIGUSR2)
        wait_for(new_pidfile.exists, timeout=60, what="the new master's pidfile")
        new_pid = int(new_pidfile.read_text().strip())
        wait_for(lambda: len(_children(new_pid)) >= 2, timeout=120, what="the new master's workers")
        old.send_signal(signal.SIGTERM)
        old.wait(timeout=60)
        self.adopted_web = new_pid

    def get(self, path: str, timeout: float = 10, **headers) -> tuple[int, str, dict]:
        request = urllib.request.Request(self.base + path, headers=headers)
        return self._open(request, timeout)

    def post(
        self, path: str, data: bytes, *, content_type: str, timeout: float = 10, **headers
    ) -> tuple[int, str, dict]:
        request = urllib.request.Request(
            self.base + path, data=data, headers={"Content-Type": content_type, **headers}
        )
        return self._open(request, timeout)

    @staticmethod
    def _open(request, timeout) -> tuple[int, str, dict]:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), dict(error.headers)
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            return 0, "", {}  # refused, reset or timed out: no answer

    # worker and beat
    def _worker_cmd(self) -> list[str]:
        return [
            str(BIN / "celery"), "-A", "hub", "worker",
            f"--pool={os.environ.get('HUB_LAB_WORKER_POOL', 'solo')}", "--without-gossip",
            "--without-mingle", "--loglevel=INFO", "-Q", "hub,pdf,webhooks", "-n", "lab@%h",
        ]  # fmt: skip

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            self._worker_cmd(), cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log
        )
        if self._supervisor is None:
            self._supervise.set()
            self._supervisor = threading.Thread(target=self._keep_worker, daemon=True)
            self._supervisor.start()

    def _keep_worker(self) -> None:
        """Restart a worker that died, as `restart: unless-stopped` and the
        `make worker` loop do; kill_worker() is a death too."""
        while self._supervise.is_set():
            worker = self.worker
            if worker is not None and worker.poll() is not None:
                self.worker_deaths.append(worker.returncode)
                time.sleep(1)
                if self._supervise.is_set():
                    self.worker_restarts += 1
                    self.worker = subprocess.Popen(
                        self._worker_cmd(), cwd=ROOT, env=self.env, stdout=self.log,
                        stderr=self.log,
                    )  # fmt: skip
            time.sleep(0.2)

    def kill_worker(self) -> None:
        if self.worker is not None:
            os.kill(self.worker.pid, signal.SIGKILL)

    def start_beat(self) -> None:
        self.beat = subprocess.Popen(
            [str(BIN / "celery"), "-A", "hub", "beat", "--loglevel=INFO", "--schedule",
             str(self.dir / "beat-schedule")],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log,
        )  # fmt: skip

    def stop(self) -> None:
        self._supervise.clear()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
        for process in (self.web, self.worker, self.beat):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
        if self.adopted_web is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.adopted_web, signal.SIGTERM)
                pid = self.adopted_web
                wait_for(lambda: not _alive(pid), timeout=20, what="the deployed master")
        self.log.close()


def _alive(pid: int) -> bool:
    """Running (a zombie nobody reaps counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # "pid (comm) state ppid ...": comm may hold spaces, so split after it
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.split("/")[2]))
    return found


class Lab:
    """Everything above, started in order; `close()` stops it all."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.dir = Path(tempfile.mkdtemp(prefix="hub-lab-"))
        if os.geteuid() == 0:
            os.chmod(self.dir, 0o755)
        self.pg = OwnPostgres(self.dir)
        self.redis = OwnRedis(self.dir)
        self.smtp = SmtpSink()
        self.app = App(self.dir, profile, self.pg, self.redis, self.smtp)

    def start(self) -> Lab:
        self.pg.init()
        self.redis.start()
        self.smtp.start()
        self.app.manage("migrate", "--noinput")
        self.app.python(SEED)
        self.app.start_web()
        self.app.start_worker()
        self.app.start_beat()
        wait_for(
            lambda: '"queues_without_worker": []' in self.app.get("/readyz")[1],
            timeout=120,
            interval=1,
            what="the worker's heartbeat",
        )
        return self

    def close(self) -> None:
        for stop in (self.app.stop, self.smtp.stop, self.redis.stop, self.pg.stop):
            with contextlib.suppress(Exception):  # stop the rest regardless
                stop()
        if not os.environ.get("HUB_LAB_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


VENDOR = "lab"
WEBHOOK_SECRET = "whsec_lab"
SEED = f"""
from billing.models import Customer
from vendors.models import Vendor
vendor, _ = Vendor.objects.get_or_create(
    slug={VENDOR!r},
    defaults=dict(name="Lab Courses", support_email="help@lab.example", address="1 Road",
                  default_currency="USD", stripe_secret_key="sk_test_lab",
                  stripe_webhook_secret={WEBHOOK_SECRET!r}),
)
for n in range(200):
    Customer.objects.get_or_create(vendor=vendor, email=f"c{{n}}@example.com",
                                   defaults={{"name": f"Customer {{n}}"}})
"""
