"""Golden fixtures: the bytes sosim generates for a fixed scenario and seed never drift.

To change them deliberately: cd tests/golden && python -m simulator generate tiny.yaml --out tiny.jsonl
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parents[2] / "golden"


def test_generate_matches_golden_file(tmp_path: Path) -> None:
    """`sosim generate` on the golden scenario writes exactly the checked-in bytes."""
    out = tmp_path / "tiny.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "generate", "tiny.yaml", "--out", str(out)],
        cwd=GOLDEN,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (GOLDEN / "tiny.jsonl").read_bytes()
