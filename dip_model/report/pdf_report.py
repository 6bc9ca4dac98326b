"""The scenario report as a PDF (A4 landscape): title page, key figures against the baseline, the charts,
the parameter changes with their articles quoted, the interpretation choices, the hospital table and
the parameter file with the command that reproduces the report."""
from __future__ import annotations

from .labels import t
from .pdfdoc import GREY, Doc
from .render import to_png
from .scenario import Scenario


def title_page(doc: Doc, sc: Scenario, fmt: str, out_name: str | None) -> None:
    L = sc.lang
    doc.add_page()
    doc.ln(18)
    doc.heading(t("rep_title", L), size=28, gap=4)
    doc.para(t("rep_subtitle", L), size=14, colour=GREY)
    doc.ln(10)
    doc.para(f"{t('rep_scenario', L)}：{sc.title_name}" if L == "zh" else f"{t('rep_scenario', L)}: {sc.title_name}",
             size=20, bold=True, h=11)
    doc.ln(4)
    doc.pairs(reproduce_pairs(sc, fmt, out_name), size=13, key_w=48)


def reproduce_pairs(sc: Scenario, fmt: str, out_name: str | None) -> list[tuple[str, str]]:
    L = sc.lang
    return [(t("rep_baseline", L), sc.baseline_title), (t("rep_date", L), sc.created.strftime("%Y-%m-%d %H:%M")),
            (t("rep_dataset", L), sc.dataset_text), (t("rep_data_fp", L), sc.data_fingerprint),
            (t("rep_params_fp", L), sc.params_fingerprint), (t("rep_version", L), sc.version),
            (t("rep_command", L), sc.command(fmt, out_name))]


def key_figures(doc: Doc, sc: Scenario) -> None:
    L = sc.lang
    doc.add_page()
    doc.heading(t("rep_key_figures", L))
    header, rows = sc.key_figure_table()
    n = len(header) - 2
    doc.data_table(header, rows, [19, 7] + [(100 - 26) / n] * n, size=11.5, aligns=["L", "L"] + ["R"] * n)


def param_changes(doc: Doc, sc: Scenario) -> None:
    L = sc.lang
    doc.add_page()
    doc.heading(t("rep_param_changes", L))
    changes = sc.param_changes()
    if not changes:
        doc.para(t("rep_no_param_changes", L), size=13)
        return
    doc.data_table([t("rep_col_param", L), t("rep_col_baseline", L), t("rep_col_current", L), t("rep_col_article", L)],
                   [[f"{c['label']}\n{c['path']}", c["old"], c["new"], c["article"]] for c in changes],
                   [34, 28, 28, 10], size=11)
    doc.ln(4)
    doc.para(t("rep_col_quote", L), size=14, bold=True)
    doc.ln(1)
    for key, text in unique_quotes(changes):
        doc.para(key, size=11, bold=True)
        doc.para(text.strip(), size=10, colour=GREY)
        doc.ln(2)


def unique_quotes(changes: list[dict]) -> list[tuple[str, str]]:
    """Each article quoted by the changes, once, in the order of first mention."""
    seen, out = set(), []
    for c in changes:
        for key, text in c["quotes"]:
            if key not in seen:
                seen.add(key)
                out.append((key, text))
    return out


def interpretations(doc: Doc, sc: Scenario) -> None:
    L = sc.lang
    doc.add_page()
    doc.heading(t("rep_interpretations", L))
    rows = sc.interpretations()
    doc.data_table([t("rep_col_id", L), t("rep_col_question", L), t("rep_col_article", L), t("rep_col_choice", L),
                    t("rep_col_default", L)],
                   [[r["id"], r["label"], r["article"],
                     r["choice"] + (f"（{t('rep_changed_mark', L)}）" if r["changed"] else ""), r["default"]]
                    for r in rows],
                   [7, 40, 12, 22, 19], size=11, bold_rows={i for i, r in enumerate(rows) if r["changed"]})


def hospital_columns(sc: Scenario) -> list[str]:
    L = sc.lang
    return [t("rep_col_id_h", L), t("rep_col_name", L), t("rep_col_scheme", L), t("rep_col_cases", L),
            t("rep_col_score", L), t("rep_col_usage", L), t("rep_col_band", L), t("rep_col_final", L),
            t("rep_col_year_end", L), t("rep_col_diff", L)]


def hospital_rows(sc: Scenario) -> list[list[str]]:
    d = sc.hospital_table()
    return [[r.hospital_id, r.name, r.scheme_text, f"{int(r.cases):,}", f"{r.total_score:,.1f}", f"{r.usage_rate:.1%}",
             r.band_text, f"{r.final_payment:,.2f}", f"{r.year_end_settlement:,.2f}",
             "" if r.diff != r.diff else f"{r.diff:+,.2f}"] for r in d.itertuples()]


def hospitals(doc: Doc, sc: Scenario) -> None:
    L = sc.lang
    doc.add_page()
    doc.heading(t("rep_appendix_hospitals", L))
    doc.para(t("rep_unit_note", L, unit=t("hb_unit_yuan", L)), size=10, colour=GREY)
    doc.ln(1)
    doc.data_table(hospital_columns(sc), hospital_rows(sc), [8, 17, 9, 7, 10, 8, 9, 12, 12, 10], size=9,
                   aligns=["L", "L", "L", "R", "R", "R", "L", "R", "R", "R"])


def appendix_params(doc: Doc, sc: Scenario, fmt: str, out_name: str | None) -> None:
    L = sc.lang
    doc.add_page()
    doc.heading(t("rep_appendix_params", L))
    doc.pairs(reproduce_pairs(sc, fmt, out_name)[1:], size=11, key_w=40)
    doc.para(t("rep_command_note", L), size=10, colour=GREY)
    doc.ln(3)
    doc.para(f"{t('rep_params_file', L)} — {sc.params_file}", size=12, bold=True)
    doc.para(sc.params_yaml(), size=10, h=4.6)
    base_yaml = sc.baseline_yaml()                  # None without a baseline
    if base_yaml is not None:
        doc.ln(2)
        doc.para(f"{t('rep_baseline_file', L)} — {sc.baseline_file}", size=12, bold=True)
        doc.para(base_yaml, size=10, h=4.6)


def build_pdf(sc: Scenario, out_name: str | None = None, pngs: list[bytes] | None = None) -> bytes:
    figs = sc.figures()
    if pngs is None:
        pngs = to_png([(fig, size) for _, _, fig, size in figs])
    L = sc.lang
    doc = Doc("L", footer=f"{t('rep_title', L)} · {sc.title_name} · {sc.params_fingerprint}/{sc.data_fingerprint}",
              page_label=t("rep_page", L, n="{n}"))
    doc.set_title(f"{t('rep_title', L)} · {sc.title_name}")
    doc.set_creator(f"dip_model {sc.version}")
    doc.set_subject(sc.command("pdf", out_name))
    title_page(doc, sc, "pdf", out_name)
    key_figures(doc, sc)
    for (_, head, _, _), png in zip(figs, pngs):
        doc.add_page()
        doc.heading(head)
        doc.image_fit(png)
    param_changes(doc, sc)
    interpretations(doc, sc)
    hospitals(doc, sc)
    appendix_params(doc, sc, "pdf", out_name)
    return bytes(doc.output())
