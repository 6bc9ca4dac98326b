"""Export benchmark on a synthetic city (default 1.1 million discharges, 150 hospitals).

    python scripts/benchmark_report.py [--data DIR | --cases 1100000 --seed 1 --dir bench_data] [--out DIR]

Times, for a scenario against the published rules: the charts rendered to PNG (one browser session),
the PPTX and the PDF report (each including its own chart rendering, as the command line does), the
Excel workbook, and every hospital's settlement statement as one PDF and as a zip."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dip_model  # noqa: E402

SCENARIO = {"budget": {"growth_rate": 0.04},
            "sharing": {"employee": {"overspend": [{"to": 1.1, "rate": 0.6}, {"to": 1.2, "rate": 0.4},
                                                   {"to": 1.3, "rate": 0.3}, {"to": 1.4, "rate": 0.2}]}}}


def benchmark_report(data_dir: str | Path, out: str | Path, changes: dict | None = None) -> dict:
    """Seconds per export of one scenario against the published rules on the city in `data_dir`;
    the files are written to `out`."""
    from dip_model.report import Scenario, build
    from dip_model.report.render import to_png
    from dip_model.report.statements import statements_pdf, statements_zip
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    times: dict = {}

    def timed(name, fn):
        t0 = time.perf_counter()
        value = fn()
        times[name] = time.perf_counter() - t0
        return value

    data = timed("load_data", lambda: dip_model.load_data(data_dir))
    res = timed("simulate (scenario)", lambda: dip_model.simulate(data, dip_model.load_params(changes or SCENARIO)))
    base = timed("simulate (baseline)", lambda: dip_model.simulate(data, dip_model.load_params()))
    sc = Scenario(res, base, name="benchmark", data_arg=str(data_dir))
    times["hospitals"] = len(data.hospitals)
    timed("charts to PNG (one session)", lambda: to_png([(f, s) for _, _, f, s in sc.figures()]))
    for fmt in ("pptx", "pdf", "xlsx"):
        payload = timed(f"report {fmt}", lambda f=fmt: build(sc, f, f"report.{f}"))
        (out / f"report.{fmt}").write_bytes(payload)
    (out / "statements.pdf").write_bytes(timed("statements, one PDF", lambda: statements_pdf(sc)))
    (out / "statements.zip").write_bytes(timed("statements, zip", lambda: statements_zip(sc)))
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None, help="an existing data folder (else one is generated)")
    ap.add_argument("--cases", type=int, default=1_100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", default="bench_data")
    ap.add_argument("--out", default=None, help="where the files go (default: a temporary folder)")
    a = ap.parse_args()
    folder = Path(a.data) if a.data else Path(a.dir) / f"city_{a.cases}_{a.seed}"
    if not (folder / "cases.csv").exists():
        from dip_model.data.synth import write_city
        write_city(folder, n_cases=a.cases, seed=a.seed)
    out = a.out or tempfile.mkdtemp(prefix="dip-report-bench-")
    for name, v in benchmark_report(folder, out).items():
        print(f"{name:32s} {v:8.2f} s" if isinstance(v, float) else f"{name:32s} {v}")
    print(f"files in {out}")


if __name__ == "__main__":
    main()
