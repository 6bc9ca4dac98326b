"""Command line of the exports:

    python -m dip_model report --data DIR --params FILE [--baseline FILE] --format pptx|pdf|xlsx --out FILE [--lang zh|en]
    python -m dip_model statements --data DIR --params FILE [--hospital ID] --out FILE.pdf|FILE.zip

--data takes a data folder or a stored dataset as store:ID. Without --baseline the report compares with
the published rule set."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from ..errors import DipError
from ..messages import Message


def load_any(data: str):
    """A data folder, or store:ID for a dataset in the embedded store."""
    from .. import load_data
    if data.startswith("store:"):
        from ..data.store import Store
        return Store.default().load_dataset(data[len("store:"):])
    return load_data(data)


def _write(out: str, payload: bytes) -> None:
    """Write beside the target, then rename: a reader never sees half a file."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _scenario(a, with_baseline: bool):
    from .. import load_params, simulate
    from ..report.scenario import Scenario
    data = load_any(a.data)
    res = simulate(data, load_params(a.params))
    base = simulate(data, load_params(getattr(a, "baseline", None))) if with_baseline else None
    return Scenario(res, base, name=getattr(a, "name", None), base_name=getattr(a, "baseline_name", None),
                    lang=a.lang, unit=getattr(a, "unit", "yuan"), data_arg=a.data,
                    params_file=a.params or "scenario.yaml", baseline_file=getattr(a, "baseline", None) or "baseline.yaml")


def _report(a) -> int:
    from ..report import build
    fmt = a.format or Path(a.out).suffix.lstrip(".").lower()
    if fmt not in ("pptx", "pdf", "xlsx"):
        raise DipError(Message("report_format", got=repr(fmt)))
    t0 = time.perf_counter()
    sc = _scenario(a, with_baseline=True)
    if a.hospital and not (sc.res.hospitals["hospital_id"] == a.hospital).any():
        raise DipError(Message("report_unknown_hospital", hospital=repr(a.hospital)))
    payload = build(sc, fmt, out_name=Path(a.out).name, trace_hospital=a.hospital)
    _write(a.out, payload)
    print(f"{fmt} report written to {a.out} in {time.perf_counter() - t0:.1f} s "
          f"(data {sc.data_fingerprint}, parameters {sc.params_fingerprint})")
    return 0


def _statements(a) -> int:
    from ..report.statements import statements_pdf, statements_zip
    suffix = Path(a.out).suffix.lower()
    if suffix not in (".pdf", ".zip"):
        raise DipError(Message("statements_out"))
    t0 = time.perf_counter()
    sc = _scenario(a, with_baseline=False)
    ids = [a.hospital] if a.hospital else None
    if a.hospital and not (sc.res.data.hospitals["hospital_id"] == a.hospital).any():
        raise DipError(Message("report_unknown_hospital", hospital=repr(a.hospital)))
    payload = statements_zip(sc, ids) if suffix == ".zip" else statements_pdf(sc, ids)
    _write(a.out, payload)
    n = 1 if a.hospital else len(sc.res.data.hospitals)
    print(f"{n} statement(s) written to {a.out} in {time.perf_counter() - t0:.1f} s")
    return 0


def add_report_parsers(sub) -> None:
    r = sub.add_parser("report", help="the scenario report against a baseline as PPTX, PDF or an Excel workbook")
    r.add_argument("--data", required=True, help="data folder, or store:ID")
    r.add_argument("--params", default=None, help="parameter YAML of the scenario (default: the published rules)")
    r.add_argument("--baseline", default=None, help="parameter YAML of the baseline (default: the published rules)")
    r.add_argument("--format", default=None, choices=["pptx", "pdf", "xlsx"], help="default: from --out")
    r.add_argument("--out", required=True)
    r.add_argument("--lang", default="zh", choices=["zh", "en"])
    r.add_argument("--unit", default="yuan", choices=["yuan", "wan"], help="money on the charts")
    r.add_argument("--name", default=None, help="the scenario's name on the title page")
    r.add_argument("--baseline-name", dest="baseline_name", default=None)
    r.add_argument("--hospital", default=None, help="the hospital whose trace the workbook lists")
    r.set_defaults(fn=_report)
    s = sub.add_parser("statements", help="hospital settlement statements (医院结算单): one PDF, or a zip of one per hospital")
    s.add_argument("--data", required=True, help="data folder, or store:ID")
    s.add_argument("--params", default=None)
    s.add_argument("--hospital", default=None, help="only this hospital")
    s.add_argument("--out", required=True, help="FILE.pdf or FILE.zip")
    s.add_argument("--lang", default="zh", choices=["zh", "en"])
    s.set_defaults(fn=_statements)
