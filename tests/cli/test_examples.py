"""The worked examples (tests/examples/, the conformance examples of the rules) through the
command line, compared field by field with their expected results at relative tolerance 1e-9."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from resultcompare import compare, same

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "tests" / "examples").iterdir() if (p / "expected").is_dir())


def run_cli(example: Path, out: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "dip_model", "run", "--data", str(example / "data"),
           "--params", str(example / "params.yaml"), "--out", str(out)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_three_examples_present():
    assert [p.name for p in EXAMPLES] == ["01_two_hospitals_bands", "02_case_types",
                                         "03_resident_cap_special_hospitals"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_matches_expected(example, tmp_path):
    out = tmp_path / "out"
    proc = run_cli(example, out)
    assert proc.returncode == 0, proc.stderr
    ok, bad = compare(example / "expected", out)
    assert not bad, "\n".join(bad[:40])
    assert ok > 50                      # the comparison really looked at the files
    for name, first in (("hospitals.csv", "hospital_id"), ("cases.csv", "case_id"), ("monthly.csv", "")):
        assert (out / name).read_bytes().startswith(b"\xef\xbb\xbf" + first.encode())   # Excel reads them as UTF-8


def test_comparator_catches_a_changed_number(tmp_path):
    """The comparator itself: 1e-9 relative passes, 1e-8 fails, text must match."""
    assert same("100.0", "100.00000009")
    assert not same("100.0", "100.000001")
    assert same("", "nan") and not same("", "0")
    assert same("70_90", "70_90") and not same("70_90", "90_100")
    src = EXAMPLES[0] / "expected"
    dst = tmp_path / "copy"
    shutil.copytree(src, dst)
    summary = json.loads((dst / "summary.json").read_text(encoding="utf-8"))
    summary["schemes"]["employee"]["settlement_point_value"] = 12.812
    (dst / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    ok, bad = compare(src, dst)
    assert bad == ["summary.employee.settlement_point_value: expected 12.813, got 12.812"]
