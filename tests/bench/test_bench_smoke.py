"""The benchmark scripts still import and run against today's API (figures are not checked)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.bench

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load_bench(name: str) -> ModuleType:
    """Import ``bench/<name>.py`` by path, so the test does not depend on the working directory."""
    module_name = f"_sosim_bench_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["generate", "send"])
def test_bench_modules_import(name: str) -> None:
    """Both benchmark scripts import cleanly and expose a ``main`` entry point."""
    assert callable(load_bench(name).main)


def test_generate_bench_measures_every_stage() -> None:
    """A tiny generate benchmark returns a positive rate for plan, timeline and render."""
    bench = load_bench("generate")
    results = bench.run_benchmark([2_000], trace=True)
    timed = [m for m in results if m.traced_peak_bytes is None]
    assert sorted(m.stage for m in timed) == ["plan", "render", "timeline"]
    assert all(m.events == 2_000 and m.rate > 0 for m in timed)
    traced = [m for m in results if m.traced_peak_bytes is not None]
    assert [m.stage for m in traced] == ["plan"]
    assert traced[0].traced_peak_bytes > 0
    assert "events/s" in bench.format_table(results)


def test_wrk_script_carries_the_exact_body() -> None:
    """The wrk Lua script escapes the signed body byte for byte, non-ASCII included."""
    host = load_bench("_host")
    body = '{"Name":"Bjørn \\"B\\"\\n"}'.encode()
    script = host.wrk_script([("X-SuperOffice-Signature", "abc+/=")], body)
    literal = script.splitlines()[1].removeprefix("wrk.body = ")
    decoded = bytearray()
    text = literal[1:-1]
    index = 0
    while index < len(text):
        if text[index] == "\\" and text[index + 1].isdigit():
            decoded.append(int(text[index + 1 : index + 4]))
            index += 4
        elif text[index] == "\\":
            decoded.append(ord(text[index + 1]))
            index += 2
        else:
            decoded.append(ord(text[index]))
            index += 1
    assert bytes(decoded) == body
    assert 'wrk.headers["X-SuperOffice-Signature"] = "abc+/="' in script


def test_wrk_output_is_parsed() -> None:
    """Requests/s, the latency percentiles and non-2xx answers are read from wrk's report."""
    host = load_bench("_host")
    output = """Running 5s test @ http://127.0.0.1:1/
  Latency Distribution
     50%  280.00us
     75%  300.00us
     90%  350.00us
     99%    1.20ms
  430000 requests in 5.00s, 50.00MB read
  Non-2xx or 3xx responses: 7
Requests/sec:  86046.12
"""
    result = host.parse_wrk(output)
    assert result.rate == pytest.approx(86046.12)
    assert result.p50_s == pytest.approx(280e-6)
    assert result.p99_s == pytest.approx(1.2e-3)
    assert result.non_2xx == 7


def test_hey_output_is_parsed() -> None:
    """Requests/s, the count by status, non-2xx answers and the percentiles are read from hey's summary."""
    host = load_bench("_host")
    output = """
Summary:
  Total:	3.0012 secs
  Requests/sec:	16297.1234

Latency distribution:
  10% in 0.0010 secs
  50% in 0.0018 secs
  99% in 0.0071 secs

Status code distribution:
  [200]	48890 responses
  [503]	12 responses
"""
    result = host.parse_hey(output)
    assert (result.tool, result.requests, result.non_2xx) == ("hey", 48902, 12)
    assert result.rate == pytest.approx(16297.1234)
    assert result.seconds == pytest.approx(3.0012)
    assert result.p50_s == pytest.approx(0.0018)
    assert result.p99_s == pytest.approx(0.0071)


def test_hostile_bench_loads_a_real_receiver_and_reads_each_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """bench/hostile.py against a real `sosim receive`: 2 clients x 5 unsigned requests, all answered 4xx."""
    from bench.hostile import main

    assert main(["--clients", "2", "--requests", "5", "--slowloris", "0", "--servers", "receive"]) == 0
    row = capsys.readouterr().out.splitlines()[-1]
    assert "10 answers" in row and "4xx 10" in row and "unanswered 0" in row and row.endswith("PASS"), row
