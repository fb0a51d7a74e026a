"""Host helpers shared by every benchmark: processes pinned to a core, an nginx receiver on
127.0.0.1 (installed with apt-get when missing), and wrk / hey runs.

Nothing here imports ``simulator``, so ``bench/peers.py`` measures sosim only through its CLI.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
READY_TIMEOUT_S = 10.0


class BenchError(Exception):
    """A setup failure: the benchmark cannot produce figures."""


# --- cores and processes -------------------------------------------------------------------


def pin_to_core(core: int) -> bool:
    """Pin this process to one CPU core, when the platform allows it and the core exists.

    The core is not checked against this process's current affinity: a child started by a
    pinned parent inherits the parent's single core and must still be able to move to another.
    """
    setter = getattr(os, "sched_setaffinity", None)
    if setter is None:
        return False
    try:
        setter(0, {core})
    except OSError:  # no such core, or outside this machine's (or container's) CPU set
        return False
    return True


@dataclass(frozen=True, slots=True)
class Cores:
    """Where the receiver and the senders run; ``None`` when there is one core (no pinning)."""

    sender: int | None
    receiver: int | None

    @classmethod
    def pick(cls) -> Cores:
        """The first allowed core for senders, the second for the receiver (if there are two)."""
        getter = getattr(os, "sched_getaffinity", None)
        allowed = sorted(getter(0)) if getter is not None else []
        if len(allowed) < 2:
            return cls(None, None)
        return cls(allowed[0], allowed[1])

    def describe(self) -> str:
        if self.sender is None:
            return "not pinned (fewer than 2 cores)"
        return f"senders on core {self.sender}, receiver on core {self.receiver}"


def child_setup(core: int | None) -> Callable[[], None]:
    """Run in a child before exec: pin it, and have Linux stop it if this process dies first."""

    def setup() -> None:
        if core is not None:
            pin_to_core(core)
        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)

    return setup


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], describe: Callable[[], str]) -> None:
    """Return once ``port`` accepts connections; raise if ``process`` ends or time runs out."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"receiver exited with {process.returncode}: {describe()}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise BenchError(f"receiver did not listen on {HOST}:{port} within {READY_TIMEOUT_S:g} s: {describe()}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate a child we started, then kill it if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def beside_python(name: str) -> str | None:
    """A console script installed next to this interpreter (a venv's bin/, not on PATH)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else None


def find_tool(name: str) -> str | None:
    """The path of an executable, looking in sbin too (nginx lives there)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/local/sbin")


def apt_install(package: str) -> bool:
    """Install a Debian package (as root); return whether the tool is there afterwards."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or find_tool("apt-get") is None:
        return False
    print(f"installing {package} with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def apt_get(*words: str) -> int:
        quiet = subprocess.DEVNULL
        return subprocess.run(
            ["apt-get", *words], env=env, stdout=quiet, stderr=quiet, timeout=300, check=False
        ).returncode

    if apt_get("install", "-y", package):
        apt_get("update")
        apt_get("install", "-y", package)
    return find_tool(package) is not None


def tool_or_install(name: str, *, install: bool) -> str | None:
    """The tool's path, installing its Debian package of the same name when allowed."""
    path = find_tool(name)
    if path is None and install and apt_install(name):
        path = find_tool(name)
    return path


# --- nginx ---------------------------------------------------------------------------------

NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen {host}:{port};
        location = {path} {{
            limit_except POST {{ deny all; }}
            return 200;
        }}
        location / {{ return 404; }}
    }}
}}
"""


@dataclass(frozen=True, slots=True)
class Receiver:
    """A receiver process listening on 127.0.0.1."""

    name: str
    base: str  # http://127.0.0.1:PORT
    path: str

    @property
    def url(self) -> str:
        return self.base + self.path


def nginx_version(nginx: str) -> str:
    done = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False, timeout=10)
    return (done.stderr or done.stdout).strip().rpartition("/")[2] or "?"


@contextlib.contextmanager
def nginx_receiver(nginx: str, core: int | None, path: str = "/webhook") -> Iterator[Receiver]:
    """nginx with one worker (on ``core``), answering 200 to POST on ``path``."""
    with tempfile.TemporaryDirectory(prefix="sosim-bench-nginx-") as tmp:
        port = free_port()
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, host=HOST, port=port, path=path), encoding="utf-8")
        error_log = Path(tmp) / "error.log"
        command = [nginx, "-p", tmp, "-c", str(conf), "-e", str(error_log)]
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=child_setup(core)
        )
        try:
            wait_for_port(port, process, lambda: _tail(error_log))
            name = f"nginx {nginx_version(nginx)} (1 worker, 200 to POST {path})"
            yield Receiver(name, f"http://{HOST}:{port}", path)
        finally:
            stop_process(process)
            if process.stderr is not None:
                process.stderr.close()


def _tail(path: Path) -> str:
    with contextlib.suppress(OSError):
        return " | ".join(path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:])
    return "(no log)"


# --- wrk and hey ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadToolResult:
    """What wrk or hey reported about itself."""

    tool: str
    rate: float
    requests: int
    seconds: float
    non_2xx: int = 0
    p50_s: float | None = None
    p99_s: float | None = None


def lua_string(data: bytes) -> str:
    """A Lua string literal holding exactly ``data`` (decimal escapes for anything not printable)."""
    out = []
    for byte in data:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def wrk_script(headers: Sequence[tuple[str, str]], body: bytes) -> str:
    """A wrk Lua script that POSTs ``body`` with ``headers`` (wrk adds Host and Content-Length)."""
    lines = ['wrk.method = "POST"', f"wrk.body = {lua_string(body)}"]
    lines += [f"wrk.headers[{lua_string(k.encode())}] = {lua_string(v.encode())}" for k, v in headers]
    return "\n".join(lines) + "\n"


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _wrk_duration(match: re.Match[str] | None) -> float | None:
    return float(match.group(1)) * _UNITS[match.group(2)] if match else None


def parse_wrk(output: str) -> LoadToolResult:
    """Requests/s, request count, duration, non-2xx count and (with --latency) p50 and p99."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)\b", output)
    if rate is None or total is None:
        raise BenchError(f"wrk printed no Requests/sec:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return LoadToolResult(
        "wrk",
        float(rate.group(1)),
        int(total.group(1)),
        float(total.group(2)) * _UNITS[total.group(3)],
        int(non_2xx.group(1)) if non_2xx else 0,
        _wrk_duration(re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)$", output, re.MULTILINE)),
        _wrk_duration(re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)$", output, re.MULTILINE)),
    )


def parse_hey(output: str) -> LoadToolResult:
    """Requests/s, request count, duration, non-2xx count, p50 and p99 from hey's summary."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"Total:\s+([\d.]+) secs", output)
    if rate is None or total is None:
        raise BenchError(f"hey printed no Requests/sec:\n{output}")
    codes = {int(code): int(n) for code, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", output)}
    requests = sum(codes.values()) or round(float(rate.group(1)) * float(total.group(1)))
    non_2xx = sum(n for code, n in codes.items() if not 200 <= code < 300)
    p50 = re.search(r"50% in ([\d.]+) secs", output)
    p99 = re.search(r"99% in ([\d.]+) secs", output)
    return LoadToolResult(
        "hey",
        float(rate.group(1)),
        requests,
        float(total.group(1)),
        non_2xx,
        float(p50.group(1)) if p50 else None,
        float(p99.group(1)) if p99 else None,
    )


def _run_tool(name: str, command: list[str], *, seconds: float, core: int | None) -> str:
    """Run a load tool bounded by ``seconds`` (plus a margin) on ``core``; return its stdout."""
    setup = child_setup(core)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False, preexec_fn=setup
    )
    if done.returncode:
        raise BenchError(f"{name} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def run_wrk(
    wrk: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    seconds: float,
    connections: int,
    core: int | None,
) -> LoadToolResult:
    """wrk -t1 on the sender core for ``seconds``, posting one fixed body."""
    with tempfile.TemporaryDirectory(prefix="sosim-bench-wrk-") as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(wrk_script(headers, body), encoding="utf-8")
        command = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url]
        return parse_wrk(_run_tool("wrk", command, seconds=seconds, core=core))


def run_hey(
    hey: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    seconds: float,
    connections: int,
    core: int | None,
) -> LoadToolResult:
    """hey -z for ``seconds`` on the sender core, posting one fixed body."""
    with tempfile.TemporaryDirectory(prefix="sosim-bench-hey-") as tmp:
        body_file = Path(tmp) / "body.json"
        body_file.write_bytes(body)
        command = [hey, "-z", f"{seconds:g}s", "-c", str(connections), "-m", "POST", "-D", str(body_file)]
        for name, value in headers:
            command += ["-T", value] if name.lower() == "content-type" else ["-H", f"{name}: {value}"]
        return parse_hey(_run_tool("hey", [*command, url], seconds=seconds, core=core))
