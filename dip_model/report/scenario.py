"""What every export says about a scenario: its results against the baseline, the key figures, the
parameter changes with their articles and quoted text, the interpretation choices, the hospital table,
and what reproduces it (tool version, data and parameter fingerprints, parameter file, command)."""
from __future__ import annotations

import datetime as _dt
import hashlib
import re
import shlex
from dataclasses import dataclass, field

import pandas as pd
import yaml

from .. import __version__
from ..params import Params, load_params
from ..rules.articles import quote
from ..rules.pipeline import Results
from . import charts
from .labels import band_text, choice_text, compact_money, has, t

FORMATS = ("pptx", "pdf", "xlsx")
# key figures per scheme: (summary key, kind, article, label key)
KEY_FIGURES = (("budget_total", "money", "A-10", "budget_total"),
               ("dip_fund_payable", "money", "A-12", "dip_fund_payable"),
               ("dip_cost_payable", "money", "A-13", "bdg_l_dip_cost_payable"),
               ("budget_point_value", "pv", "A-17", "budget_point_value"),
               ("settlement_point_value", "pv", "A-34.2", "settlement_point_value"),
               ("total_final_payment", "money", "A-36", "total_final_payment"),
               ("cap_deduction", "money", "A-36", "cap_deduction"),
               ("total_year_end_settlement", "money", "A-37", "hsp_m_year_end_total"),
               ("fund_closing_balance", "money", "A-3", "fund_closing_balance"),
               ("months_of_payment", "months", "A-3", "months_of_payment"))
INTERPRETATIONS = [f"I-{i}" for i in range(1, 14)]


@dataclass
class Scenario:
    """A scenario to export: its results, the baseline's (None = compare with nothing), how to name them,
    and the arguments of the command that reproduces the export."""
    res: Results
    base: Results | None = None                  # the baseline's
    name: str | None = None
    base_name: str | None = None
    lang: str = "zh"
    unit: str = "yuan"                           # money on charts: yuan | wan
    data_arg: str | None = None                  # --data of the reproduce command (default: the dataset's source)
    params_file: str = "scenario.yaml"
    baseline_file: str = "baseline.yaml"
    trace_hospital: str | None = None            # the workbook's trace (default: the first hospital)
    created: _dt.datetime = field(default_factory=lambda: _dt.datetime.now().replace(microsecond=0))

    # --- identity ----------------------------------------------------------------------------------
    @property
    def schemes(self) -> list[str]:
        return list(self.res.summary["schemes"])

    @property
    def title_name(self) -> str:
        return self.name or t("rep_unsaved", self.lang)

    @property
    def baseline_title(self) -> str:
        return self.base_name or t("rep_builtin_name", self.lang)

    @property
    def data_fingerprint(self) -> str:
        return data_fingerprint(self.res.data)

    @property
    def params_fingerprint(self) -> str:
        return self.res.params.digest()

    @property
    def version(self) -> str:
        return __version__

    @property
    def dataset_text(self) -> str:
        d = self.res.data
        return f"{d.source or '—'} · {len(d.hospitals):,} / {len(d.cases):,}" if self.lang == "en" else \
            f"{d.source or '—'}（{len(d.hospitals):,} 家医院，{len(d.cases):,} 例）"

    def params_yaml(self) -> str:
        return params_yaml(self.res.params)

    def baseline_yaml(self) -> str | None:
        return None if self.base is None else params_yaml(self.base.params)

    def command(self, fmt: str, out: str | None = None) -> str:
        """The command that makes this export again from the data and the parameter file(s)."""
        out = out or f"report.{fmt}"
        parts = ["python", "-m", "dip_model", "report", "--data", self.data_arg or self.res.data.source or "DIR",
                 "--params", self.params_file]
        if self.base is not None:
            parts += ["--baseline", self.baseline_file]
        parts += ["--format", fmt, "--out", out, "--lang", self.lang]
        if self.unit != "yuan":
            parts += ["--unit", self.unit]
        if self.name:
            parts += ["--name", self.name]
        if self.base is not None and self.base_name:
            parts += ["--baseline-name", self.base_name]
        if fmt == "xlsx" and self.trace_hospital:
            parts += ["--hospital", self.trace_hospital]
        return " ".join(shlex.quote(str(p)) for p in parts)

    def statements_command(self, out: str = "statements.zip", hospital: str | None = None) -> str:
        parts = ["python", "-m", "dip_model", "statements", "--data", self.data_arg or self.res.data.source or "DIR",
                 "--params", self.params_file]
        if hospital:
            parts += ["--hospital", hospital]
        parts += ["--out", out, "--lang", self.lang]
        return " ".join(shlex.quote(str(p)) for p in parts)

    # --- content -----------------------------------------------------------------------------------
    def fmt(self, kind: str, v) -> str:
        if v is None or v != v:
            return "—"
        if kind == "money":
            return compact_money(v, self.lang, self.unit)
        if kind == "pv":
            return f"{v:.3f}"
        return t("months_unit", self.lang, v=v)

    def fmt_change(self, kind: str, v, b) -> str:
        if v is None or b is None or v != v or b != b:
            return ""
        d = v - b
        if abs(d) < (0.005 if kind == "money" else 5e-4):
            return "0"
        if kind == "money":
            return ("+" if d > 0 else "−") + compact_money(abs(d), self.lang, self.unit)
        return (f"{d:+.3f}" if kind == "pv" else f"{d:+.1f}").replace("-", "−")

    def key_figures(self) -> list[dict]:
        """Per scheme and figure: label, article, current, baseline and change (raw and as text)."""
        rows = []
        for s in self.schemes:
            cur = self.res.summary["schemes"][s]
            b = self.base.summary["schemes"].get(s) if self.base is not None else None
            for key, kind, article, label in KEY_FIGURES:
                bv = b[key] if b else None
                rows.append({"scheme": s, "key": key, "kind": kind, "article": article,
                             "label": t(label, self.lang), "current": cur[key], "baseline": bv,
                             "current_text": self.fmt(kind, cur[key]), "baseline_text": self.fmt(kind, bv) if b else "—",
                             "change_text": self.fmt_change(kind, cur[key], bv) if b else ""})
        return rows

    def key_figure_table(self) -> tuple[list[str], list[list[str]]]:
        """The key figures as a table: item, article, then per scheme current, baseline and change."""
        L = self.lang
        rows = self.key_figures()
        header = [t("rep_col_item", L), t("rep_col_article", L)]
        for s in self.schemes:
            header += [f"{t(s, L)}\n{t('rep_col_current', L)}"]
            if self.base is not None:
                header += [t("rep_col_baseline", L), t("rep_col_change", L)]
        out = []
        for key, _, article, label in KEY_FIGURES:
            line = [t(label, L), article]
            for s in self.schemes:
                r = next(x for x in rows if x["scheme"] == s and x["key"] == key)
                line += [r["current_text"]] + ([r["baseline_text"], r["change_text"]] if self.base is not None else [])
            out.append(line)
        return header, out

    def param_changes(self) -> list[dict]:
        """Every parameter whose value differs from the baseline's (the published rules when there is
        none), with its label, article and the articles' text."""
        p = self.res.params
        q = self.base.params if self.base is not None else load_params()
        out = []
        for path in p.leaves():
            new, old = p.get(path), q.get(path)
            if new == old:
                continue
            info = p.info(path)
            out.append({"path": path, "label": info["label"][self.lang], "unit": info.get("unit", ""),
                        "old": value_text(old), "new": value_text(new), "article": info.get("article", ""),
                        "quotes": [(k, a.get("text", "")) for k, a in quote(info.get("article", ""))]})
        return out

    def interpretations(self) -> list[dict]:
        """The interpretation register I-1 … I-13 as set in this scenario (I-5 is coefficients.combine)."""
        p = self.res.params
        builtin = load_params()
        rows = []
        for ident in INTERPRETATIONS:
            path = "coefficients.combine" if ident == "I-5" else f"interpretations.{ident}"
            if p.get(path) is None:
                continue
            info = p.info(path)
            label = re.sub(r"[（(]I-5[)）]", "", info["label"][self.lang]).strip()
            rows.append({"id": ident, "path": path, "label": label, "article": info.get("article", ""),
                         "value": p.get(path), "choice": choice_text(ident, p.get(path), self.lang),
                         "default": choice_text(ident, builtin.get(path), self.lang),
                         "changed": p.get(path) != builtin.get(path)})
        return rows

    def hospital_table(self) -> pd.DataFrame:
        """One row per hospital × scheme with the settlement figures and the change against the baseline."""
        h = self.res.hospitals
        d = h[["hospital_id", "name", "scheme", "level", "cases", "total_score", "point_value", "usage_rate", "band",
               "score_fund", "final_payment", "monthly_prepaid", "year_end_settlement"]].copy()
        if self.base is not None:
            ch = charts.payment_changes(h, self.base.hospitals)[["hospital_id", "scheme", "diff"]]
            d = d.merge(ch, on=["hospital_id", "scheme"], how="left")
        else:
            d["diff"] = float("nan")
        d["scheme_text"] = d["scheme"].map(lambda s: t(s, self.lang))
        d["band_text"] = d["band"].map(lambda b: band_text(b, self.lang))
        return d.sort_values(["hospital_id", "scheme"], kind="stable").reset_index(drop=True)

    def changes(self) -> pd.DataFrame | None:
        """payment_changes() against the baseline; None without a baseline."""
        return None if self.base is None else charts.payment_changes(self.res.hospitals, self.base.hospitals)

    def projection(self):
        """The scenario's default multi-year projection (None when a projected year cannot be settled)."""
        return _projection(self.res)

    def figures(self, top_n: int = 10) -> list[tuple[str, str, object, tuple[int, int]]]:
        """The report's charts: (key, heading, figure sized for a page, (width, height) in px)."""
        lang, res, base = self.lang, self.res, self.base
        city = res.mode != "hospital"    # a hospital folder: no budget, fund balance or its path (need city data)
        out = []
        for s in self.schemes if city else ():
            out.append((f"waterfall_{s}", t("rep_waterfall", lang) + " · " + t(s, lang),
                        charts.waterfall(res.summary["schemes"][s], s, lang, self.unit), (1400, 800)))
        out.append(("point_values", t("rep_point_values", lang), charts.point_values(res, base, self.schemes, lang),
                    (1400, 800)))
        out.append(("bands", t("rep_bands", lang), charts.band_chart(res, base, self.schemes, lang), (1400, 820)))
        d = self.changes()
        if d is not None and (d["diff"].abs() >= 0.005).any():
            out.append(("changes", t("rep_changes", lang), charts.winners_losers(d, top_n, lang, self.unit),
                        (1400, 860)))
        low = float(res.params.get("fund_balance.guidance_months_low"))
        high = float(res.params.get("fund_balance.guidance_months_high"))
        if city:
            out.append(("fund", t("rep_fund", lang), charts.fund_months(res, base, self.schemes, low, high, lang),
                        (1400, 800)))
        proj = self.projection() if city else None
        if proj is not None:
            out.append(("fund_path", t("rep_fund_path", lang, n=int(proj.years["year"].max())),
                        charts.projection_chart(proj.years, self.schemes, "months_of_payment", "months", low, high,
                                                lang, self.unit), (1400, 800)))
        return [(k, head, print_figure(fig, h), (w, h)) for k, head, fig, (w, h) in out]


def _projection(res):
    """The scenario carried forward under the default projection assumptions (dip_model.analysis.projection);
    None when a projected year cannot be settled (the reason is in the projection page)."""
    from ..analysis.projection import project
    from ..errors import DipError
    try:   # kept in the dataset's stage cache: the presentation mode rebuilds its figures on every step
        return res.data.cached("projection", res.params.digest(), lambda: project(res.data, res.params))
    except DipError:
        return None


def print_figure(fig, height: int):
    """The dashboard's figure with fonts for a printed page or a projected slide."""
    out = charts.enlarge(fig, size=18, height=height)
    # the page or slide heading names the chart: no title inside the image
    out.update_layout(title_text="", margin={"l": 20, "r": 40, "t": 50, "b": 40}, paper_bgcolor="white")
    return out


def data_fingerprint(data) -> str:
    """The dataset's content hash (sha256 of its files' bytes, first 16 hex digits); for a dataset
    built in memory, a hash of its tables."""
    if getattr(data, "version", ""):
        return str(data.version)[:16]
    h = hashlib.sha256()
    for frame in (data.hospitals, data.cases, data.fund):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def params_yaml(params: Params) -> str:
    """The parameter file of a scenario: the values that differ from the built-in rule set."""
    vals = params.user_values()
    return yaml.safe_dump(vals, allow_unicode=True, sort_keys=True, default_flow_style=False) if vals else "{}\n"


def value_text(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, (dict, list)):
        return yaml.safe_dump(v, allow_unicode=True, default_flow_style=True, sort_keys=False, width=10_000).strip()
    return str(v)


def label_of(key: str, lang: str, fallback: str) -> str:
    return t(key, lang) if has(key, lang) else fallback
