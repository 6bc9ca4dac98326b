"""报告导出 Reports: the working scenario against the baseline as slides (PPTX), a PDF report and an Excel
workbook; the hospital settlement statements (one hospital, or all zipped); the command and parameter
files that reproduce them. Everything is built by dip_model.report; this page only gathers and offers.
Built from the user's view of the run (a hospital user: its own statements and trace; the slides and the PDF
need the whole city and say so); every file is audited when it is built."""
from __future__ import annotations

import json
import time

import streamlit as st

import dip_model
from dip_model.report import Scenario, build
from dip_model.report.pdf_report import build_pdf
from dip_model.report.pptx_report import build_pptx
from dip_model.report.browser import find_browser, install_command
from dip_model.report.render import to_png
from dip_model.report.statements import statements_pdf, statements_zip
from dip_model.rules.pipeline import require_city
from dip_model.data.store.audit import EXPORT
from ui import state
from ui.access import audited
from ui.cards import unit
from ui.i18n import current_lang, t, tr
from ui.texts import fixed

MIME = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
K_FILES = "rpt_files"             # the built PPTX and PDF, with the signature of what they show


def scenario(res: dip_model.Results, base: dip_model.Results | None) -> Scenario:
    ss = st.session_state
    base_name = None if ss[state.K_BASELINE_NAME] == state.BUILTIN else ss[state.K_BASELINE_NAME]
    return Scenario(res, base, name=ss.get(state.K_NAME), base_name=base_name, lang=current_lang(), unit=unit(),
                    data_arg=res.data.source or None)


def file_name(sc: Scenario, fmt: str) -> str:
    return f"dip-report-{sc.params_fingerprint[:8]}.{fmt}"


def signature(sc: Scenario) -> str:
    """What the built files depend on: both scenarios, names, language, unit and the data."""
    ss = st.session_state
    return json.dumps([state.values(), ss[state.K_BASELINE], sc.name, sc.base_name, sc.lang, sc.unit,
                       sc.data_fingerprint], sort_keys=True, default=str)


def prepare(sc: Scenario) -> None:
    """Render the charts once (one browser session) and build both the PPTX and the PDF from them."""
    with st.spinner(t("rpt_preparing")):
        t0 = time.perf_counter()
        try:
            pngs = to_png([(fig, size) for _, _, fig, size in sc.figures()])
            files = {"pptx": build_pptx(sc, file_name(sc, "pptx"), pngs), "pdf": build_pdf(sc, file_name(sc, "pdf"), pngs)}
        except dip_model.DipError as e:        # no browser, or it failed to draw a chart: said in words
            st.error(t("rpt_failed", err=e))
            return
    st.session_state[K_FILES] = {"sig": signature(sc), "files": files, "seconds": time.perf_counter() - t0}


def report_section(sc: Scenario) -> None:
    st.subheader(t("rpt_head_report"))
    try:                                # the slides and the PDF show the city's budget and fund balance
        require_city(sc.res.data, "what_scenario_report")
    except dip_model.DipError as err:
        st.info(tr(err), icon=":material/domain:")
        return
    ss = st.session_state
    built = ss.get(K_FILES)
    fresh = built is not None and built["sig"] == signature(sc)
    browser = find_browser()            # the charts of the PPTX and the PDF are drawn by it
    if browser is None:
        st.warning(t("rpt_no_browser", command=install_command()), icon=":material/warning:")
    c = st.columns(3)
    with c[0]:
        if st.button(t("rpt_prepare"), key="rpt_prepare", help=t("rpt_prepare_help"), type="primary", width="stretch",
                     disabled=browser is None):
            prepare(sc)
            built = ss.get(K_FILES)
            fresh = built is not None and built["sig"] == signature(sc)
    if built is not None and fresh:
        c[0].caption(t("rpt_ready", s=built["seconds"]))
        for col, fmt in zip(c[1:], ("pptx", "pdf")):
            raw = built["files"][fmt]
            col.download_button(f"⬇ {t('rpt_' + fmt)}", data=audited(EXPORT, file_name(sc, fmt), lambda raw=raw: raw),
                                file_name=file_name(sc, fmt),
                                mime=MIME[fmt], key=f"rpt_dl_{fmt}", width="stretch")
    elif built is not None:
        c[1].caption(t("rpt_stale"))


def hospital_pick(sc: Scenario) -> str:
    h = sc.res.data.hospitals
    names = dict(zip(h["hospital_id"], h["name"]))
    ids = list(h["hospital_id"])
    return st.selectbox(t("rpt_pick_hospital"), ids, key="rpt_hospital",
                        format_func=fixed({k: f"{k} {n}" for k, n in names.items()}))


def page() -> None:
    st.title(t("nav_reports"))
    st.caption(t("rpt_intro"))
    with st.spinner(t("loading")):
        res, base, err, berr = state.results_and_baseline()
    if res is None:
        st.error(t("rpt_invalid", err=err), icon="⚠️")
        return
    if berr:
        st.warning(t("rpt_invalid", err=berr))
        base = None
    sc = scenario(res, base)
    st.caption(t("rpt_scenario_line", name=sc.title_name, base=sc.baseline_title, data=sc.dataset_text))
    if state.same_as_baseline():
        st.info(t("rpt_same_as_baseline"))

    hid = hospital_pick(sc)
    sc.trace_hospital = hid
    report_section(sc)
    st.download_button(f"⬇ {t('rpt_xlsx')}",
                       data=audited(EXPORT, file_name(sc, "xlsx"), lambda: build(sc, "xlsx", file_name(sc, "xlsx"))),
                       file_name=file_name(sc, "xlsx"), mime=MIME["xlsx"], key="rpt_dl_xlsx")
    st.caption(t("rpt_trace_hospital") + f"：{hid}" if sc.lang == "zh" else t("rpt_trace_hospital") + f": {hid}")

    st.subheader(t("rpt_head_statements"))
    c = st.columns(2)
    c[0].download_button(f"⬇ {t('rpt_statement_pdf')}",
                         data=audited(EXPORT, f"statement-{hid}.pdf", lambda: statements_pdf(sc, [hid])),
                         file_name=f"statement-{hid}.pdf", mime=MIME["pdf"], key="rpt_dl_statement", width="stretch")
    zipped = f"statements-{sc.params_fingerprint[:8]}.zip"          # the hospitals of the user's view only
    c[1].download_button(f"⬇ {t('rpt_statements_zip_dl')}", data=audited(EXPORT, zipped, lambda: statements_zip(sc)),
                         file_name=f"statements-{sc.params_fingerprint[:8]}.zip", mime="application/zip",
                         key="rpt_dl_statements", width="stretch")

    st.subheader(t("rpt_head_repro"))
    st.caption(t("rpt_repro_caption"))
    st.code(sc.command("pdf", file_name(sc, "pdf")), language="bash", wrap_lines=True)
    st.code(sc.statements_command(), language="bash", wrap_lines=True)
    c = st.columns(2)
    params_yaml = sc.params_yaml()
    c[0].download_button(f"⬇ {t('rpt_params_dl')}", data=audited(EXPORT, sc.params_file, lambda: params_yaml),
                         file_name=sc.params_file,
                         mime="text/yaml", key="rpt_dl_params", width="stretch")
    baseline_yaml = sc.baseline_yaml()
    if baseline_yaml is not None:
        c[1].download_button(f"⬇ {t('rpt_baseline_dl')}", data=audited(EXPORT, sc.baseline_file, lambda: baseline_yaml),
                             file_name=sc.baseline_file,
                             mime="text/yaml", key="rpt_dl_baseline", width="stretch")
    st.caption(f"{t('rep_version')} {sc.version} · {t('rep_data_fp')} {sc.data_fingerprint} · "
               f"{t('rep_params_fp')} {sc.params_fingerprint}")


state.run_page(page)
