"""DIP what-if dashboard: navigation, sidebar and language live here; pages draw results.

The navigation follows the dataset's mode. A city dataset (with fund.csv) shows the city pages and, as 医院分析,
the hospital pages for any hospital picked. A hospital folder (no fund.csv) puts the hospital edition first
(总览 and the hospital pages), keeps the pages that work on one hospital's data, and gathers the pages that
need the whole city under 需要全市数据, where each says so instead of computing from part of the city.

And it follows the role of the signed-in user (ui.auth; the pages a role reaches are ui.access's):
- bureau (and the local user of the single-user app): every page; with sign-in configured also 审计日志.
- hospital:H: what one hospital can use of a city run: 总览 (the city's published figures), its hospital
  pages (年终预估, 病种盈亏, 偏差预警, 科室与医生, CMI与结构, 医院预测), 医院 and 分担机制 (its own rows
  against the city's bands), 病种 (the catalogue; the catalogue reports need every hospital's cases and are
  left out), 规则, 情景 (its own and the published scenarios), 报告导出 (its own statements and workbook) and
  演示模式. Not 数据 (importing is the bureau's), nor the pages that need every hospital's rows or re-settle
  the city from them: 预算, 系数, 基金, 多年预测, 敏感性, 不确定性.
- viewer: 情景 (the published scenarios) and 演示模式, nothing else.
A page the role does not reach stays at its address, hidden, and shows a refusal instead of the page; the data
every page receives is filtered below the pages (ui.state, ui.hospital: dip_model.access's views)."""
import streamlit as st

from dip_model.access import AccessDenied
from ui import access, auth, published, state
from ui.i18n import t
from ui.sidebar import scenario_line, sidebar

st.set_page_config(page_title="DIP 点数法付费模拟", page_icon=":material/monitoring:", layout="wide")
state.init_state()
user = auth.gate()      # sign-in when secrets.toml has [auth] (docs/deploy.md); else the local user, as before
# figures on cards: a size at which '2,232.30 万元' fits a quarter-width card
st.html("<style>[data-testid='stMetricValue'] > div {font-size: 1.7rem;}</style>")
try:
    link_error = state.restore_from_query()    # a ?hospital= or a scenario the user may not see: refused
except (AccessDenied, access.Refused) as refused:
    access.refuse(refused)
moved = state.follow_mode()          # the published figures leave a city run and come back to a hospital's

P = {  # page → (file, title key, icon)
    "overview": ("pages/overview.py", "nav_overview", ":material/dashboard:"),
    "budget": ("pages/budget.py", "nav_budget", ":material/account_balance_wallet:"),
    "groups": ("pages/groups.py", "nav_groups", ":material/category:"),
    "coefficients": ("pages/coefficients.py", "nav_coefficients", ":material/balance:"),
    "hospitals": ("pages/hospitals.py", "nav_hospitals", ":material/local_hospital:"),
    "bands": ("pages/bands.py", "nav_bands", ":material/show_chart:"),
    "fund": ("pages/fund.py", "nav_fund", ":material/savings:"),
    "projection": ("pages/projection.py", "nav_projection", ":material/trending_up:"),
    "sensitivity": ("pages/sensitivity.py", "nav_sensitivity", ":material/tune:"),
    "uncertainty": ("pages/uncertainty.py", "nav_uncertainty", ":material/ssid_chart:"),
    "hospital_forecast": ("pages/hospital_forecast.py", "nav_hospital_forecast", ":material/query_stats:"),
    "hospital_outlook": ("pages/hospital_outlook.py", "nav_hp_outlook", ":material/event_available:"),
    "hospital_margins": ("pages/hospital_margins.py", "nav_hp_margins", ":material/bar_chart:"),
    "hospital_warnings": ("pages/hospital_warnings.py", "nav_hp_warnings", ":material/warning:"),
    "hospital_breakdown": ("pages/hospital_breakdown.py", "nav_hp_breakdown", ":material/groups:"),
    "hospital_mix": ("pages/hospital_mix.py", "nav_hp_mix", ":material/donut_small:"),
    "reports": ("pages/reports.py", "nav_reports", ":material/description:"),
    "present": ("pages/present.py", "nav_present", ":material/slideshow:"),
    "scenarios": ("pages/scenarios.py", "nav_scenarios", ":material/bookmarks:"),
    "data": ("pages/data.py", "nav_data", ":material/folder_open:"),
    "rules": ("pages/rules.py", "nav_rules", ":material/gavel:"),
    "audit": ("pages/audit.py", "nav_audit", ":material/history:"),
}
CITY_ONLY = ["budget", "fund", "projection", "uncertainty", "hospital_forecast"]   # need the whole city's data
HOSPITAL_VIEWS = ["hospital_outlook", "hospital_margins", "hospital_warnings", "hospital_breakdown", "hospital_mix"]
SECTIONS = {  # mode → section title key → pages
    "city": {
        "sec_settlement": ["overview", "budget", "groups", "coefficients", "hospitals", "bands", "fund"],
        "sec_analysis": ["projection", "sensitivity", "uncertainty", "hospital_forecast"],
        "sec_hospital_city": HOSPITAL_VIEWS,
        "sec_present": ["reports", "present"],
        "sec_manage": ["scenarios", "data", "rules"],
    },
    "hospital": {
        "sec_hospital": ["overview", *HOSPITAL_VIEWS, "hospitals"],
        "sec_settlement": ["groups", "coefficients", "bands"],
        "sec_analysis": ["sensitivity"],
        "sec_present": ["reports", "present"],
        "sec_manage": ["scenarios", "data", "rules"],
        "sec_city_only": CITY_ONLY,
    },
}
NO_RESULTS = {"scenarios", "data", "rules", "audit"}     # pages that show no figures of the run

mode = state.mode()
sections = {sec: [k for k in keys if access.may_open(k, user)] for sec, keys in SECTIONS[mode].items()}
if auth.configured() and access.may_open("audit", user):
    sections["sec_manage"] = [*sections["sec_manage"], "audit"]
shown = [k for keys in sections.values() for k in keys]
home = next(k for k in ("overview", "scenarios", *shown) if k in shown)     # a viewer starts at 情景
nav = {t(sec): [st.Page(P[k][0], title=t(P[k][1]), icon=P[k][2], default=(k == home)) for k in keys]
       for sec, keys in sections.items() if keys}
# the pages this role does not reach keep their address and show the refusal
nav.setdefault(t("sec_manage"), []).extend(st.Page(P[k][0], title=t(P[k][1]), icon=P[k][2], visibility="hidden")
                                           for k in P if k not in shown and not access.may_open(k, user))
pg = st.navigation(nav, expanded=True)
line = sidebar()
if mode == "hospital":
    st.sidebar.caption(t("mode_hospital_note"))
missing = published.missing()
if mode == "hospital" and missing is None:
    published.sidebar()
    missing = published.missing()     # a figure just cleared in the sidebar
if moved:
    st.toast(t(f"mode_{moved}"), icon=":material/swap_horiz:")
if link_error:
    st.warning(t("link_invalid", err=link_error))
page_key = next((k for k, v in P.items() if pg.url_path and v[0].endswith(f"/{pg.url_path}.py")), home)
# a hospital folder without its published figures: the prompt, except where no figure of the run is shown
# (the city-only pages say which data they need whatever is given)
if page_key not in shown:
    st.title(t(P[page_key][1]))
    access.refuse_page()
elif missing is not None and page_key not in NO_RESULTS and page_key not in CITY_ONLY:
    st.title(t(P[page_key][1]))
    state.run_page(published.prompt)  # the engine's message and the inputs, in place of the page
else:
    state.run_page(pg.run)            # the one guard: a data problem as its message, a bug as a short notice
scenario_line(line)                    # counts a change the page itself made
state.sync_query()
