"""The app per role, signed in through the real gate (secrets [auth], a roles file, the ID token's claims) on
the small city: every page a hospital user reaches shows and keeps nothing of another hospital (the whole
element tree and the session walked), the pages it does not reach are refused, ?hospital= and a scenario link
are checked, scenarios are listed and changed by their owners only, downloads hold only its rows, and saves,
renames, deletes, publications and exports are in the audit trail."""
import io
import time
import zipfile

import openpyxl
import pandas as pd
import pytest
from google.protobuf import text_format
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

import dip_model
from dip_model.data.store import Store
from ui import state

from apptest import ROOT

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 40,
        "client_id": "dip", "client_secret": "s", "server_metadata_url": "http://idp/.well-known/openid-configuration"}
BUREAU, H001, H002, VIEWER = "chief@ybj.example.cn", "caiwu@h001.example.cn", "caiwu@h002.example.cn", \
    "guest@ybj.example.cn"
ROLES = f"users:\n  {BUREAU}: bureau\n  {H001}: hospital:H001\n  {H002}: hospital:H002\n  {VIEWER}: viewer\n"
HOSPITAL_PAGES = ["overview", "hospital_outlook", "hospital_margins", "hospital_warnings", "hospital_breakdown",
                  "hospital_mix", "hospital_forecast", "hospitals", "groups", "bands", "rules", "scenarios",
                  "reports", "present"]
REFUSED_TO_HOSPITAL = ["budget", "coefficients", "fund", "projection", "sensitivity", "uncertainty", "data",
                       "audit"]
REFUSED = "无权访问"


@pytest.fixture(scope="module")
def roles_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("roles") / "roles.yaml"
    path.write_text(ROLES, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def others(city):
    """The ids and names of every hospital but H001 (none may reach H001's user)."""
    h = pd.read_csv(city / "hospitals.csv", dtype=str)
    rest = h[h["hospital_id"] != "H001"]
    assert len(rest) >= 5
    return [*rest["hospital_id"], *rest["name"]]


@pytest.fixture
def deferred(monkeypatch):
    """file name → the data callable of every download button drawn (run by the test as a click would)."""
    seen: dict = {}
    original = MediaFileManager.add_deferred

    def add(self, data, mimetype, coordinates, file_name=None, element_id=None):
        seen[file_name] = data
        return original(self, data, mimetype, coordinates, file_name=file_name, element_id=element_id)
    monkeypatch.setattr(MediaFileManager, "add_deferred", add)
    return seen


def signed_in(city, roles_file, monkeypatch, email, page=None, query=None, values=None) -> AppTest:
    monkeypatch.setenv("DIP_DATA", str(city))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets["auth"] = AUTH
    at.secrets["dip"] = {"roles_file": str(roles_file)}
    now = int(time.time())
    at.user = {"is_logged_in": True, "email": email, "name": email, "iat": now, "exp": now + 3600}
    at.session_state["lang"] = "zh"
    if values is not None:
        at.session_state["scenario_values"] = values
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def shown(at) -> str:
    """Everything the element tree holds: tables as CSV, every other element's message (chart specs,
    metrics, markdown, captions, widget options) as text."""
    parts: list[str] = []

    def walk(node) -> None:
        if getattr(node, "type", None) in ("dataframe", "table"):
            parts.append(node.value.to_csv())
        elif getattr(node, "proto", None) is not None:
            parts.append(text_format.MessageToString(node.proto, as_utf8=True))
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at._tree)
    return "\n".join(parts)


def held(value, out: list) -> None:
    """The hospital ids and texts a session value holds (DataSets, Results, frames, containers)."""
    if isinstance(value, dip_model.DataSet):
        out.extend(value.hospitals["hospital_id"].astype(str))
        out.append(value.cases.to_csv() if len(value.cases) < 5000 else "cases")
    elif isinstance(value, dip_model.Results):
        held(value.data, out)
        out.append(value.hospitals.to_csv())
    elif isinstance(value, pd.DataFrame):
        out.append(value.to_csv())
    elif isinstance(value, dict):
        for v in value.values():
            held(v, out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            held(v, out)
    elif isinstance(value, str):
        out.append(value)


def session_text(at) -> str:
    out: list[str] = []
    held({k: at.session_state[k] for k in at.session_state}, out)
    return "\n".join(out)


def said(at) -> str:
    """The main area's text (the refusal's reason), not the sidebar's."""
    return " ".join(m.value for m in at.main.markdown)


def leaks(text: str, others: list[str]) -> list[str]:
    return [o for o in others if o in text]


# ---------------------------------------------------------------- what each role reaches
@pytest.mark.parametrize("page", HOSPITAL_PAGES)
def test_a_hospital_user_sees_and_holds_only_its_own_hospital(city, roles_file, monkeypatch, others, page):
    at = signed_in(city, roles_file, monkeypatch, H001, page)
    text = shown(at)
    assert REFUSED not in text
    if page.startswith("hospital") or page == "reports":
        assert "H001" in text                       # the page does show its own hospital
    assert leaks(text, others) == [], page
    assert leaks(session_text(at), others) == [], page


@pytest.mark.parametrize("page", ["hospitals", "hospital_margins"])
def test_the_walk_finds_every_hospital_on_the_bureaus_pages(city, roles_file, monkeypatch, others, page):
    """The same walk over the bureau's pages finds the other hospitals: the checks above can fail."""
    at = signed_in(city, roles_file, monkeypatch, BUREAU, page)
    found = leaks(shown(at), others) if page == "hospitals" else leaks(session_text(at) + shown(at), others)
    assert found, page


@pytest.mark.parametrize("page", REFUSED_TO_HOSPITAL)
def test_the_pages_a_hospital_user_does_not_reach_are_refused(city, roles_file, monkeypatch, others, page):
    at = signed_in(city, roles_file, monkeypatch, H001, page)
    assert [e.value for e in at.error] == [REFUSED]
    assert "医院 H001" in said(at)
    assert not at.dataframe and not at.get("plotly_chart") and not at.metric
    assert leaks(shown(at), others) == []


def test_a_viewer_reaches_the_scenarios_and_the_presentation_only(city, roles_file, monkeypatch):
    assert signed_in(city, roles_file, monkeypatch, VIEWER).title[0].value == "情景"      # its first page
    for page in ("scenarios", "present"):
        at = signed_in(city, roles_file, monkeypatch, VIEWER, page)
        assert REFUSED not in shown(at)
        sessions = [at.session_state[k] for k in at.session_state if isinstance(at.session_state[k], dip_model.DataSet)]
        assert all(len(d.cases) == 0 for d in sessions)
    at.button(key="prs_next").click().run()          # the charts step through on the viewer's view
    assert not at.exception
    for page in ("overview", "hospitals", "reports", "hospital_margins", "data"):
        at = signed_in(city, roles_file, monkeypatch, VIEWER, page)
        assert [e.value for e in at.error] == [REFUSED], page


def test_the_viewer_has_no_export(city, roles_file, monkeypatch):
    at = signed_in(city, roles_file, monkeypatch, VIEWER, "scenarios")
    buttons = [b for b in at.get("download_button")]
    assert buttons and all(b.proto.disabled for b in buttons)


def test_the_bureau_reads_filters_and_exports_the_audit_trail(city, roles_file, monkeypatch, deferred):
    signed_in(city, roles_file, monkeypatch, H001, "overview")           # a sign-in of someone else
    at = signed_in(city, roles_file, monkeypatch, BUREAU, "audit")
    assert REFUSED not in shown(at)
    log = at.dataframe[0].value
    assert {"登录"} <= set(log["操作"]) and {BUREAU, H001} <= set(log["用户"])
    assert list(log["时间（UTC）"]) == sorted(log["时间（UTC）"], reverse=True)        # newest first
    at.selectbox(key="aud_user").set_value(H001).run()
    assert set(at.dataframe[0].value["用户"]) == {H001}
    at.selectbox(key="aud_user").set_value("__all__").run()
    at.selectbox(key="aud_action").set_value("sign_in").run()
    assert set(at.dataframe[0].value["操作"]) == {"登录"}
    raw = deferred["审计日志.csv"]()
    assert H001 in raw.decode("utf-8-sig")
    assert "审计日志.csv" in audit_of(BUREAU, "export")


# ---------------------------------------------------------------- links
def test_another_hospital_in_the_link_is_refused(city, roles_file, monkeypatch, others):
    at = signed_in(city, roles_file, monkeypatch, H001, query={"hospital": "H002"})
    assert [e.value for e in at.error] == [REFUSED]
    assert "H002" in said(at)
    assert not at.dataframe and not at.metric
    ok = signed_in(city, roles_file, monkeypatch, H001, "hospital_margins", query={"hospital": "H001"})
    assert leaks(shown(ok), others) == []


def test_a_link_setting_another_hospitals_figures_is_refused(city, roles_file, monkeypatch):
    """A what-if assessment score of H002 would move the city's point value with H002's own figures."""
    theirs = state.encode_values({"hospital_data": {"assessment_score": {"H002": 50.0}}})
    at = signed_in(city, roles_file, monkeypatch, H001, query={"p": theirs})
    assert [e.value for e in at.error] == [REFUSED] and "H002" in said(at)
    assert at.session_state["scenario_values"] == {}
    own = state.encode_values({"hospital_data": {"assessment_score": {"H001": 50.0}}})
    at = signed_in(city, roles_file, monkeypatch, H001, query={"p": own})
    assert not at.error and at.session_state["scenario_values"]["hospital_data"]["assessment_score"] == {"H001": 50.0}


@pytest.fixture
def scenarios():
    """A scenario of H002's user, one of the bureau published, one of the bureau not published."""
    store = Store.default()
    for name in ("H002方案", "局方案", "局内部"):
        if name in store.scenario_names():
            store.delete_scenario(name)
    store.save_scenario("H002方案", {"budget": {"growth_rate": 0.05}}, owner=H002)
    store.save_scenario("局方案", {"budget": {"growth_rate": 0.06}}, owner=BUREAU)
    store.publish_scenario("局方案", True)
    store.save_scenario("局内部", {"budget": {"growth_rate": 0.07}}, owner=BUREAU)
    return store


def test_a_scenario_link_of_another_user_is_refused_a_published_one_opens_read_only(
        city, roles_file, monkeypatch, scenarios):
    p = state.encode_values({"budget": {"growth_rate": 0.05}})
    at = signed_in(city, roles_file, monkeypatch, H001, query={"p": p, "name": "H002方案"})
    assert [e.value for e in at.error] == [REFUSED] and "H002方案" in said(at)
    p = state.encode_values({"budget": {"growth_rate": 0.06}})
    at = signed_in(city, roles_file, monkeypatch, H001, query={"p": p, "name": "局方案"})
    assert not at.error
    at.switch_page("pages/scenarios.py").run()
    assert any("只读" in i.value for i in at.info)
    at = signed_in(city, roles_file, monkeypatch, VIEWER, query={"name": "局方案"})
    assert at.session_state["scenario_values"] == {"budget": {"growth_rate": 0.06}}
    at = signed_in(city, roles_file, monkeypatch, VIEWER, query={"p": p})
    assert [e.value for e in at.error] == [REFUSED]


# ---------------------------------------------------------------- scenarios
def audit_of(user: str, action: str) -> list[str]:
    log = Store.default().audit_log(user=user, action=action)
    return list(log["target"])


def keyed(widgets, part):
    return next(w for w in widgets if part in str(w.key))


def by_label(widgets, label):
    return next(w for w in widgets if w.label == label)


def test_scenarios_are_listed_and_changed_by_their_owners(city, roles_file, monkeypatch, scenarios):
    store = scenarios
    at = signed_in(city, roles_file, monkeypatch, H001, "scenarios", values={"budget": {"growth_rate": 0.04}})
    listed = set(at.dataframe[0].value["情景名称"])
    assert "局方案" in listed and "H002方案" not in listed and "局内部" not in listed
    keyed(at.selectbox, "scn_pick").set_value("局方案").run()
    assert at.button(key="scn_rename_btn").disabled and at.button(key="scn_del_btn").disabled
    assert any("只有情景的创建者" in c.value for c in at.caption)
    # saving: owned by H001, audited
    by_label(at.text_input, "情景名称").input("我的方案")
    at = by_label(at.button, "保存情景").click().run()
    assert not at.exception
    assert store.scenario_info("我的方案")["owner"] == H001
    assert "我的方案" in audit_of(H001, "scenario_save")
    # overwriting the published one is refused, whatever the form says
    by_label(at.text_input, "情景名称").input("局方案")
    keyed(at.checkbox, "scn_overwrite").check()
    at = by_label(at.button, "保存情景").click().run()
    assert any("局方案" in e.value for e in at.error)
    assert store.load_scenario("局方案") == {"budget": {"growth_rate": 0.06}}
    # rename and delete its own: audited
    keyed(at.selectbox, "scn_pick").set_value("我的方案").run()
    keyed(at.text_input, "scn_rename_to").input("我的方案2")
    at = at.button(key="scn_rename_btn").click().run()
    assert "我的方案2" in store.scenario_names()
    assert "我的方案 → 我的方案2" in audit_of(H001, "scenario_rename")
    keyed(at.selectbox, "scn_pick").set_value("我的方案2").run()
    at = at.button(key="scn_del_btn").click().run()
    assert "我的方案2" not in store.scenario_names()
    assert "我的方案2" in audit_of(H001, "scenario_delete")


def test_the_bureau_publishes_and_it_is_audited(city, roles_file, monkeypatch, scenarios):
    at = signed_in(city, roles_file, monkeypatch, BUREAU, "scenarios")
    keyed(at.selectbox, "scn_pick").set_value("局内部").run()
    at = keyed(at.button, "scn_publish").click().run()
    assert Store.default().scenario_info("局内部")["published"]
    assert "局内部" in audit_of(BUREAU, "scenario_publish")
    at = signed_in(city, roles_file, monkeypatch, H001, "scenarios")
    assert "局内部" in set(at.dataframe[0].value["情景名称"])


# ---------------------------------------------------------------- downloads
def xlsx_text(raw: bytes) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
    return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
                     if c is not None)


def test_a_hospital_users_downloads_hold_only_its_rows_and_are_audited(city, roles_file, monkeypatch, others,
                                                                        deferred):
    signed_in(city, roles_file, monkeypatch, H001, "hospital_margins")
    signed_in(city, roles_file, monkeypatch, H001, "reports")
    csvs = [n for n in deferred if n.endswith(".csv")]
    books = [n for n in deferred if n.endswith(".xlsx")]
    zips = [n for n in deferred if n.endswith(".zip")]
    assert csvs and len(books) >= 2 and zips
    for name in csvs:
        assert leaks(deferred[name]().decode("utf-8-sig"), others) == [], name
    for name in books:                      # the hospital workbook and the report workbook with its trace
        assert leaks(xlsx_text(deferred[name]()), others) == [], name
    with zipfile.ZipFile(io.BytesIO(deferred[zips[0]]())) as z:
        assert z.namelist() and all("H001" in n for n in z.namelist())
    exported = audit_of(H001, "export")
    assert set(csvs + books + zips) <= set(exported)
    entry = Store.default().audit_log(user=H001, action="export").iloc[0]
    assert entry["role"] == "hospital:H001" and entry["dataset"] and entry["params"]


def test_csv_downloads_escape_cells_a_spreadsheet_would_run():
    from ui.export import csv_bytes
    df = pd.DataFrame({"=cmd": ["=1+1", "+SUM(A1)", "-2+3", "@x", "正常", "a=b"], "n": [-1.5, 2, 3, 4, 5, 6]})
    back = pd.read_csv(io.BytesIO(csv_bytes(df)), encoding="utf-8-sig", dtype=str)
    assert list(back.columns) == ["'=cmd", "n"]
    assert list(back["'=cmd"]) == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@x", "正常", "a=b"]
    assert back["n"].iloc[0] == "-1.5"                 # numbers as they are


def test_every_tab_of_the_groups_page_for_a_hospital_user(city, roles_file, monkeypatch, others):
    """The lazy tabs opened one by one; the catalogue reports (every hospital's cases) are not offered."""
    at = signed_in(city, roles_file, monkeypatch, H001, "groups")
    labels = ["病种目录", "政策调节系数", "病例类型（按机构级别）", "费用偏差", "特殊病例", "辅助目录"]
    key = next(k for k in at.session_state if "gc_tabs" in str(k))
    assert "目录监测" not in shown(at)
    for label in labels:
        at.session_state[key] = label
        at.run()
        assert not at.exception, label
        assert leaks(shown(at), others) == [], label
