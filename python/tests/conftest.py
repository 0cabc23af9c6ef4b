"""Fixtures of the Spark checks: the landerd binary, one Spark session per
test session, lakes landed by `landerd demo` (generated data, the real data
set, locally and on a real HDFS cluster, and a multi-tenant lake made of a
demo's files) and `landerd report --json` for each.

A real system that cannot start (Go, Spark and its JVM, HDFS) fails the
tests that need it, naming the system; only an absent data set skips."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "assessment-attempts-20180128-121051-nested.json"
LAUNCHER = REPO / "scripts" / "hdfs" / "launcher.sh"
HDFS_USER = "landerd"


@dataclass
class LandedLake:
    """A lake landerd landed, and what `landerd report --json` says of it."""

    url: str
    report: dict
    published: int  # messages published to the topic


def run(cmd: list[str], what: str, timeout: float = 600, env: dict | None = None) -> str:
    """Run cmd and return its stdout; fail the test naming what when it fails."""
    try:
        out = subprocess.run(
            cmd,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        pytest.fail(f"{what}: {err}")
    if out.returncode != 0:
        pytest.fail(f"{what}: exit {out.returncode}\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    return out.stdout


@pytest.fixture(scope="session")
def landerd(tmp_path_factory) -> Path:
    """The landerd binary, built once per test session."""
    if shutil.which("go") is None:
        pytest.fail("Go: the go command is not on PATH; it builds landerd for these tests")
    binary = tmp_path_factory.mktemp("bin") / "landerd"
    run(["go", "build", "-o", str(binary), "./cmd/landerd"], "go build ./cmd/landerd")
    return binary


@pytest.fixture(scope="session")
def spark():
    """The test session's Spark (local[2]); a failure to start fails the test."""
    from landerd_lake.spark import session

    try:
        s = session("landerd-tests")
    except RuntimeError as err:
        pytest.fail(f"Spark did not start: {err}")
    yield s
    s.stop()


def land(landerd: Path, lake: str, args: list[str], env: dict | None = None) -> LandedLake:
    """Land with `landerd demo ARGS --lake LAKE` and report the lake."""
    out = run([str(landerd), "demo", "--lake", lake, *args], f"landerd demo into {lake}", env=env)
    report = json.loads(
        run(
            [str(landerd), "report", "--lake", lake, "--json"],
            f"landerd report --lake {lake}",
            env=env,
        )
    )
    published = report["raw"]["attempts"] + report["quarantined_rows"]
    assert "landed in" in out, out
    return LandedLake(lake, report, published)


@pytest.fixture(scope="session")
def generated_lake(landerd, tmp_path_factory) -> LandedLake:
    """A local lake of 400 generated attempts with resends and about 5%
    malformed records, so that every table exists."""
    lake = tmp_path_factory.mktemp("generated") / "lake"
    landed = land(landerd, str(lake), ["--count", "400", "--bad-rate", "0.05"])
    assert landed.report["quarantined_rows"] > 0, "the generated lake should quarantine some"
    return landed


@dataclass
class TenantLake:
    """A multi-tenant lake and `landerd report --json` of each tenant
    (by name) and of the whole lake (key None)."""

    url: str
    reports: dict[str | None, dict]
    partitions: dict[str, list[int]]  # the Kafka partitions of each tenant


#: The tenants of tenant_lake and the demo's Kafka partitions each gets:
#: tenants of different sizes sharing one topic.
TENANT_PARTITIONS = {"pearson": [0, 1], "wiley": [2], "oreilly": [3]}


@pytest.fixture(scope="session")
def tenant_lake(landerd, tmp_path_factory) -> TenantLake:
    """A multi-tenant lake in the layout of docs/tenants.md, made of a
    demo's lake (4 partitions, resends, about 5% malformed records) by
    moving each file from <table>/ingest_date=D to
    <table>/tenant=T/ingest_date=D, T chosen by the file's Kafka partition
    (TENANT_PARTITIONS): every record keeps its own offset, and each
    tenant's records are those of its partitions."""
    lake = tmp_path_factory.mktemp("tenants") / "lake"
    land(landerd, str(lake), ["--count", "800", "--bad-rate", "0.05", "--partitions", "4"])
    owner = {p: t for t, parts in TENANT_PARTITIONS.items() for p in parts}
    for table in ("attempts", "questions", "_quarantine"):
        for f in sorted((lake / table).glob("ingest_date=*/*.parquet")):
            partition = int(f.name.rsplit("-", 3)[1])
            dest = lake / table / f"tenant={owner[partition]}" / f.parent.name
            dest.mkdir(parents=True, exist_ok=True)
            f.rename(dest / f.name)
        for d in (lake / table).glob("ingest_date=*"):
            d.rmdir()
    reports: dict[str | None, dict] = {}
    for tenant in (None, *TENANT_PARTITIONS):
        args = [] if tenant is None else ["--tenant", tenant]
        reports[tenant] = json.loads(
            run(
                [str(landerd), "report", "--lake", str(lake), "--json", *args],
                f"landerd report --lake {lake} {' '.join(args)}",
            )
        )
    for tenant in TENANT_PARTITIONS:
        rep = reports[tenant]
        assert rep["tenant"] == tenant and rep["raw"]["attempts"] > 0, rep
    assert reports[None]["tenants"] == sorted(TENANT_PARTITIONS), reports[None]
    return TenantLake(str(lake), reports, TENANT_PARTITIONS)


@pytest.fixture(scope="session")
def real_local_lake(landerd, tmp_path_factory) -> LandedLake:
    """The real data set landed into a local lake."""
    if not DATA.exists():
        pytest.skip(f"the real data set is absent ({DATA})")
    lake = tmp_path_factory.mktemp("real") / "lake"
    return land(landerd, str(lake), ["--file", str(DATA)])


class HDFSCluster:
    """A real HDFS cluster run by scripts/hdfs/launcher.sh, driven by its
    line protocol: READY hdfs://127.0.0.1:PORT, then commands answered by
    OK or ERR msg."""

    def __init__(self, workdir: Path):
        self.log = workdir / "launcher.log"
        self._err = open(self.log, "w")  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            ["bash", str(LAUNCHER), "--dir", str(workdir / "dfs"), "--datanodes", "1"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._err,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        line = self._next(timeout=900)
        if line is None or not line.startswith("READY "):
            self.close()
            pytest.fail(
                f"HDFS did not start (scripts/hdfs/launcher.sh said {line!r}):\n"
                f"{self.log.read_text()[-4000:]}"
            )
        self.url = line.split(" ", 1)[1].strip().rstrip("/")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _next(self, timeout: float) -> str | None:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def command(self, line: str) -> None:
        """Send one command; fail the test unless the launcher answers OK."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self._next(timeout=120)
        if answer != "OK":
            pytest.fail(f"HDFS launcher: {line!r} answered {answer!r}")

    def close(self) -> None:
        """Shut the cluster down and wait for the launcher to exit."""
        try:
            if self.proc.poll() is None and self.proc.stdin is not None:
                self.proc.stdin.write("shutdown\n")
                self.proc.stdin.close()
            self.proc.wait(timeout=120)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=10)
        self._err.close()


@pytest.fixture(scope="session")
def hdfs(tmp_path_factory):
    """A real HDFS cluster (one DataNode) for the test session."""
    cluster = HDFSCluster(tmp_path_factory.mktemp("hdfs"))
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def real_hdfs_lake(landerd, hdfs) -> LandedLake:
    """The real data set landed into a lake on HDFS, by the landerd user."""
    if not DATA.exists():
        pytest.skip(f"the real data set is absent ({DATA})")
    hdfs.command(f"mkdir /lake {HDFS_USER} supergroup 755")
    return land(
        landerd, hdfs.url + "/lake", ["--file", str(DATA)], env={"HADOOP_USER_NAME": HDFS_USER}
    )


@pytest.fixture(scope="session", params=["local", "hdfs"])
def real_lake(request) -> LandedLake:
    """The real data set landed locally, then on HDFS."""
    return request.getfixturevalue(f"real_{request.param}_lake")
