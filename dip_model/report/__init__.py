"""Presentation-ready output: the shared chart builders (charts), the scenario report as slides (PPTX)
or PDF, the hospital settlement statements, the Excel workbook; each export carries the tool version,
the data and parameter fingerprints, the parameter file and the command that reproduces it.

    from dip_model.report import Scenario, build
    payload = build(Scenario(res, base, name="…"), "pdf")

Imports: the top level of dip_model, rules, data, the public API and analysis; nothing from cli.
browser.py uses the standard library only (the set-up script loads it before anything is installed).
"""
from __future__ import annotations

from .scenario import FORMATS, Scenario


def build(sc: Scenario, fmt: str, out_name: str | None = None, trace_hospital: str | None = None) -> bytes:
    """The report of a scenario as pptx, pdf or xlsx bytes."""
    if trace_hospital:
        sc.trace_hospital = trace_hospital
    if fmt in ("pptx", "pdf"):                     # the budget waterfall and the fund balance are the city's
        from ..rules.pipeline import require_city
        require_city(sc.res.data, "what_scenario_report")
    if fmt == "pptx":
        from .pptx_report import build_pptx
        return build_pptx(sc, out_name)
    if fmt == "pdf":
        from .pdf_report import build_pdf
        return build_pdf(sc, out_name)
    if fmt == "xlsx":
        from .workbook import build_xlsx
        return build_xlsx(sc, out_name, sc.trace_hospital)
    from ..errors import DipError
    from ..messages import Message
    raise DipError(Message("report_format_unknown", got=repr(fmt)))


__all__ = ["FORMATS", "Scenario", "build"]
