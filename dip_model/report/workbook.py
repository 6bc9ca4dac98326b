"""Excel workbooks (xlsxwriter) as a finance team expects them: Chinese headers, frozen header row, money
as #,##0.00, sensible column widths, text that a spreadsheet would read as a formula escaped. One
implementation for the dashboard's table downloads and for the scenario workbook: summary, hospitals,
groups, case-type counts, parameters with their articles, one hospital's trace, and a sheet that says
how to reproduce it."""
from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from ..messages import localise
from ..params import Params, load_params
from .labels import t

_FORMULA = re.compile(r"^[=+\-@]")
MONEY_FMT = "#,##0.00"


def safe(df: pd.DataFrame) -> pd.DataFrame:
    """Escape text cells that a spreadsheet would read as a formula."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype).startswith("str"):
            out[c] = out[c].map(lambda v: "'" + v if isinstance(v, str) and _FORMULA.match(v) else v)
    return out


def parameters_table(params: Params, lang: str = "zh", compare: Params | None = None) -> pd.DataFrame:
    """Every parameter with its value, unit, label and article (and whether it differs from `compare`)."""
    rows = []
    for path in params.leaves():
        m = params.info(path)
        row = {t("param_path", lang): path, t("param_label", lang): m["label"][lang],
               t("param_value", lang): str(m["value"]), t("unit", lang): m.get("unit", ""),
               t("article", lang): m.get("article", "")}
        if compare is not None:
            row[t("wb_changed", lang)] = "✓" if params.get(path) != compare.get(path) else ""
        rows.append(row)
    return pd.DataFrame(rows)


def _width(series: pd.Series, head: str) -> float:
    def w(v) -> int:
        s = str(v)
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)
    sample = series.head(500)
    body = max((w(f"{v:,.2f}" if isinstance(v, float) else v) for v in sample), default=0)
    return float(min(max(body, w(head)) + 2, 60))


def write_sheet(xw: pd.ExcelWriter, name: str, df: pd.DataFrame, money: set | None = None,
                formats: dict | None = None, title: str | None = None) -> None:
    """A sheet with a frozen header row, widths fitted to the content, number formats by column."""
    book = xw.book
    start = 2 if title else 0
    safe(df).to_excel(xw, sheet_name=name[:31], index=False, startrow=start)
    ws = xw.sheets[name[:31]]
    if title:
        ws.write(0, 0, title, book.add_format({"bold": True, "font_size": 13}))
    head = book.add_format({"bold": True, "bg_color": "#E2ECF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    fmts: dict[str, object] = {}                  # number format -> its xlsxwriter Format
    for j, col in enumerate(df.columns):
        ws.write(start, j, str(col), head)
        spec = (formats or {}).get(col) or (MONEY_FMT if money and col in money else None)
        if spec is None and pd.api.types.is_float_dtype(df[col]):
            spec = "#,##0.0000"
        fmt = fmts.setdefault(spec, book.add_format({"num_format": spec})) if spec else None
        ws.set_column(j, j, _width(df[col], str(col)), fmt)
    ws.freeze_panes(start + 1, 0)
    if len(df.columns):
        ws.autofilter(start, 0, start + len(df), len(df.columns) - 1)


def excel_bytes(sheets: dict[str, pd.DataFrame], params: Params, lang: str = "zh") -> bytes:
    """A workbook of the given tables (headers as shown) plus a sheet of the parameters used."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
        for name, df in sheets.items():
            write_sheet(xw, name, df)
        write_sheet(xw, t("sheet_params", lang), parameters_table(params, lang))
    return buf.getvalue()


# --- the scenario workbook ------------------------------------------------------------------------

HOSPITAL_MONEY = ("score_fund", "ffs_fund", "retained", "sharing", "pay_before_cap", "cap_deduction",
                  "violation_deduction", "final_payment", "monthly_prepaid", "year_end_settlement")


def _hospitals(sc) -> tuple[pd.DataFrame, set]:
    L = sc.lang
    h = sc.res.hospitals
    cols = {"hospital_id": t("hsp_col_hospital_id", L), "name": t("hsp_col_name", L), "scheme": t("hsp_col_scheme", L),
            "district": t("hsp_col_district", L), "level": t("hsp_col_level", L), "cases": t("hsp_col_cases", L),
            "total_score": t("hsp_col_total_score", L), "hospital_coef": t("hsp_in_K", L),
            "assessment_coef": t("rep_assess", L), "point_value": t("hsp_col_point_value", L),
            "reimb_ratio": t("rep_reimb", L), "ffs_fund": t("rep_ffs", L) + _yuan(L),
            "usage_rate": t("rep_col_usage", L), "band": t("hsp_col_band", L)}
    for c in HOSPITAL_MONEY:
        if c not in cols:
            cols[c] = t(f"hsp_col_{c}", L, unit=t("hb_unit_yuan", L)) if c not in ("pay_before_cap",) else \
                t("bnd_col_pay_before_cap", L, unit=t("hb_unit_yuan", L))
    d = h[list(cols)].copy()
    d["scheme"] = d["scheme"].map(lambda s: t(s, L))
    from .labels import band_text, level_text
    d["band"] = d["band"].map(lambda b: band_text(b, L))
    d["level"] = d["level"].map(lambda v: level_text(v, L))
    if sc.base is not None:
        ch = sc.changes()[["hospital_id", "scheme", "base", "diff"]]
        ch["scheme"] = ch["scheme"].map(lambda s: t(s, L))
        d = d.merge(ch, on=["hospital_id", "scheme"], how="left")
        cols["base"] = t("hsp_col_base_final", L, unit=t("hb_unit_yuan", L))
        cols["diff"] = t("hsp_col_diff", L, unit=t("hb_unit_yuan", L))
    d = d.rename(columns=cols)
    money = {cols[c] for c in HOSPITAL_MONEY} | ({cols["base"], cols["diff"]} if sc.base is not None else set())
    return d, money


def _yuan(lang: str) -> str:
    return "（元）" if lang == "zh" else " (yuan)"


def _summary(sc) -> pd.DataFrame:
    L = sc.lang
    rows = []
    for r in sc.key_figures():
        rows.append({t("rep_col_scheme", L): t(r["scheme"], L), t("rep_col_item", L): r["label"],
                     t("rep_col_article", L): r["article"], t("unit", L): t(f"ovw_unit_{r['kind']}", L),
                     t("rep_col_current", L): r["current"], t("rep_col_baseline", L): r["baseline"],
                     t("rep_col_change", L): None if r["baseline"] is None else r["current"] - r["baseline"]})
    return pd.DataFrame(rows)


def _groups(sc) -> tuple[pd.DataFrame, set]:
    from ..analysis.groups import group_counts
    L = sc.lang
    cat = sc.res.stage.ref.catalogue
    d = pd.DataFrame({t("wb_group_id", L): cat["group_id"].to_numpy(), t("wb_group_name", L): cat.get("name", cat["group_id"]).to_numpy(),
                      t("wb_group_type", L): cat["group_type"].to_numpy(), t("wb_rw", L): cat["rw"].to_numpy(float)})
    if "category" in cat:
        d[t("wb_group_category", L)] = cat["category"].to_numpy()
    if "grassroots" in cat:
        d[t("wb_grassroots", L)] = np.where(cat["grassroots"].to_numpy(bool), "✓", "")
    gc = group_counts(sc.res.stage)
    for s in sc.schemes:
        d[t("wb_cases_scheme", L, scheme=t(s, L))] = gc[f"{s}_cases"].to_numpy()
        d[t("wb_raw_scheme", L, scheme=t(s, L))] = gc[f"{s}_raw"].to_numpy()
    return d, set()


def _case_types(sc) -> pd.DataFrame:
    from ..rules.case_scores import CASE_TYPES
    L = sc.lang
    h = sc.res.hospitals
    rows = []
    for k in CASE_TYPES:
        row: dict[str, str | int] = {t("wb_case_type", L): t(f"gc_type_{k}", L)}
        for s in sc.schemes:
            row[t(s, L)] = int(h.loc[h["scheme"] == s, f"n_{k}"].sum())
        row[t("all_schemes", L)] = int(h[f"n_{k}"].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _trace(sc, hospital_id: str) -> tuple[pd.DataFrame, str]:
    L = sc.lang
    h = sc.res.hospitals
    part = h[h["hospital_id"] == hospital_id]
    rows = []
    for s in [s for s in sc.schemes if (part["scheme"] == s).any()]:
        for i, step in enumerate(sc.res.explain(hospital_id, s), 1):
            rows.append({t("rep_col_scheme", L): t(s, L), t("wb_step", L): i, t("stm_col_item", L): step.title[L],
                         t("article", L): step.article, t("wb_formula", L): step.formula[L],
                         t("wb_result", L): localise(step.result, L) if isinstance(step.result, str) else float(step.result),
                         t("unit", L): t(f"hb_u_{step.unit}", L),
                         t("wb_inputs", L): "; ".join(f"{k} = {_plain(v)}" for k, v in step.inputs.items())})
    name = part["name"].iloc[0] if len(part) else hospital_id
    return pd.DataFrame(rows), t("wb_trace_title", L, name=f"{hospital_id} {name}", scheme=" / ".join(
        t(s, L) for s in sc.schemes if (part["scheme"] == s).any()))


def _plain(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.10g}"
    return str(v)


def _repro(sc, out_name: str | None) -> pd.DataFrame:
    from .pdf_report import reproduce_pairs
    L = sc.lang
    pairs = reproduce_pairs(sc, "xlsx", out_name)
    pairs.insert(0, (t("rep_scenario", L), sc.title_name))
    pairs.append((t("rep_params_file", L) + f" — {sc.params_file}", sc.params_yaml()))
    if sc.base is not None:
        pairs.append((t("rep_baseline_file", L) + f" — {sc.baseline_file}", sc.baseline_yaml()))
    return pd.DataFrame(pairs, columns=[t("wb_item", L), t("wb_value", L)])


def build_xlsx(sc, out_name: str | None = None, trace_hospital: str | None = None) -> bytes:
    """The scenario workbook."""
    L = sc.lang
    trace_hospital = trace_hospital or str(sc.res.hospitals["hospital_id"].iloc[0])
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
        xw.book.set_properties({"title": f"{t('rep_title', L)} · {sc.title_name}", "subject": sc.command("xlsx", out_name),
                                "comments": f"dip_model {sc.version}; data {sc.data_fingerprint}; "
                                            f"parameters {sc.params_fingerprint}"})
        summary = _summary(sc)
        write_sheet(xw, t("wb_summary", L), summary,
                    formats={c: "#,##0.000" for c in (t("rep_col_current", L), t("rep_col_baseline", L),
                                                     t("rep_col_change", L))},
                    title=f"{t('rep_title', L)} · {sc.title_name} · {t('rep_baseline', L)}：{sc.baseline_title}")
        hosp, money = _hospitals(sc)
        write_sheet(xw, t("wb_hospitals", L), hosp, money,
                    formats={t("rep_col_usage", L): "0.00%", t("rep_reimb", L): "0.00%",
                             t("hsp_col_point_value", L): "0.000", t("hsp_col_total_score", L): "#,##0.00"})
        groups, _ = _groups(sc)
        write_sheet(xw, t("wb_groups", L), groups)
        write_sheet(xw, t("wb_case_types", L), _case_types(sc))
        params = parameters_table(sc.res.params, L, sc.base.params if sc.base is not None else load_params())
        write_sheet(xw, t("wb_params", L), params)
        trace, title = _trace(sc, trace_hospital)
        write_sheet(xw, t("wb_trace", L), trace, formats={t("wb_result", L): "#,##0.000000"}, title=title)
        repro = _repro(sc, out_name)
        write_sheet(xw, t("wb_repro", L), repro)
        ws = xw.sheets[t("wb_repro", L)[:31]]
        ws.set_column(1, 1, 100, xw.book.add_format({"text_wrap": True, "valign": "top"}))
    return buf.getvalue()
