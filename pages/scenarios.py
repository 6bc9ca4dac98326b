"""情景 Scenarios: save the working scenario under a name (kept in the embedded store across restarts);
load, rename, duplicate and delete saved scenarios; choose the baseline; compare any two scenarios
(parameter diff and results diff); share a scenario as a link; import and export YAML.
Every figure is read from dip_model's results; this page only subtracts them for the diff.

With sign-in, a user lists their own scenarios and the published ones (dip_model.access.visible_scenarios);
only the owner or the bureau renames, deletes or overwrites (checked again where the store is called), the
bureau publishes; every save, rename, delete, publish and export is audited."""
import json
from collections.abc import Callable
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import dip_model
from dip_model.access import require, require_scenario_edit, visible_scenarios
from dip_model.messages import Message
from dip_model.data.store import Store, StoreError, audit_actions as A, count_changes, scenario_yaml
from ui import state
from ui.access import allowed, audit, audited, user
from ui.cards import scale, unit, unit_text
from ui.export import download_excel, download_png, no_export
from ui.figures import font
from ui.i18n import catalog, current_lang, money, t, tr, unit_label
from ui.texts import fixed
from ui.widgets import scheme_list

ss = st.session_state
lang = current_lang()
WORKING, BASELINE = "__working__", "__baseline__"        # choices besides saved names
# results compared: (summary key, kind, article)
FIGURES = (("budget_total", "money", "A-10"), ("dip_fund_payable", "money", "A-12"),
           ("settlement_point_value", "pv", "A-34.2"), ("total_final_payment", "money", "A-36"),
           ("cap_deduction", "money", "A-36"), ("fund_closing_balance", "money", "A-3"),
           ("months_of_payment", "months", "A-3"))
TOP = 20                                                   # hospitals shown in the change chart


# ---------------------------------------------------------------- helpers
def message(err: dip_model.DipError) -> str:
    """A user's message for a store or validation error, in the page's language."""
    if isinstance(err, StoreError):
        key = f"scn_err_{err.code}"
        if key in catalog(lang):
            return t(key, err=err, **err.info)
        return t("scn_err_store", err=err)
    if isinstance(err, dip_model.ParameterError):
        return t("scn_err_invalid", err=err)
    return tr(err)


def flash(text: str) -> None:
    """A success message shown after the rerun that follows an action."""
    ss["scn_flash"] = text


def act(fn, done) -> None:
    """Run a store action; on success remember the message (`done`, or done(result)) and redraw,
    so the sidebar shows the new state too."""
    try:
        result = fn()
    except dip_model.DipError as exc:   # a store or validation problem: said in this page's words
        st.error(message(exc))
        return
    flash(done(result) if callable(done) else done)
    st.rerun()


def fingerprints_of(vals: dict) -> tuple[str, str]:
    """The dataset version and the digest of a scenario's parameters, for its audit entry."""
    p, _ = state.params_or_error(vals)
    try:
        version = state.full_dataset().version
    except dip_model.DipError:
        version = ""
    return version, p.digest() if p is not None else ""


def publish_button(box, store: Store, pick: str, published: bool) -> None:
    """The bureau publishes a scenario (every hospital and viewer then sees it, read-only) or withdraws it."""
    label = t("acc_unpublish" if published else "acc_publish")
    if box.button(label, key=state.widget_key("scn_publish", pick), help=t("acc_publish_help"),
                  icon=":material/public:"):
        def publish():
            require(user(), "publish")
            store.publish_scenario(pick, not published)
            audit(A.SCENARIO_UNPUBLISH if published else A.SCENARIO_PUBLISH, pick)
        act(publish, t("acc_unpublished" if published else "acc_published", name=pick))


def shown(v) -> str:
    """A parameter value as text (None = derived from the data)."""
    if v is None:
        return t("derived")
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def choice_label(c: str) -> str:
    if c == WORKING:
        return t("scn_working", name=ss.get(state.K_NAME) or t("unsaved_scenario"))
    if c == BASELINE:
        return t("scn_baseline_choice", name=baseline_label())
    if c == state.BUILTIN:
        return t("builtin_rules")
    return c


def short_label(c: str) -> str:
    """A short name for table headers and the chart."""
    if c in (WORKING, BASELINE, state.BUILTIN):
        return t({WORKING: "scn_short_working", BASELINE: "scn_short_baseline",
                  state.BUILTIN: "scn_short_builtin"}[c])
    return c if len(c) <= 24 else c[:23] + "…"


def baseline_label() -> str:
    name = ss[state.K_BASELINE_NAME]
    return t("builtin_rules") if name == state.BUILTIN else name


def values_of(store: Store, c: str) -> dict:
    if c == WORKING:
        return state.values()
    if c == BASELINE:
        return ss[state.K_BASELINE]
    if c == state.BUILTIN:
        return {}
    return store.load_scenario(c)


def share_link(vals: dict, name: str | None) -> str:
    """The app's address with the scenario in the query (?p=…&name=…), as app.py reads it."""
    base = st.context.url or ""
    page = "/scenarios"                                    # this page's address: link to the app root
    if base.endswith(page):
        base = base[: -len(page)]
    query = {"p": state.encode_values(vals)} if vals else {}
    if name and vals:
        query["name"] = name
    return base.rstrip("/") + "/" + ("?" + urlencode(query) if query else "")


Side = tuple[dict | None, pd.DataFrame | None, str | None]      # summary, hospitals, error


def compare(va: dict, vb: dict) -> list[Side]:
    """Summaries and hospital tables of two scenarios (or their error messages); the small
    outputs are kept in the session for the last pair, so a redraw does not recompute."""
    data = state.dataset()
    key = (id(data), data.version, json.dumps(va, sort_keys=True, default=str),
           json.dumps(vb, sort_keys=True, default=str))
    hit = ss.get("_scn_cmp")
    if hit and hit[0] == key:
        return hit[1]
    out: list[Side] = []
    for vals in (va, vb):
        res, err = state.results(vals)
        out.append((res.summary, res.hospitals.copy(), None) if res else (None, None, err))
    ss["_scn_cmp"] = (key, out)
    return out


def param_diff(pa, pb, la: str, lb: str) -> pd.DataFrame:
    rows = []
    for path in pa.leaves():
        a, b = pa.get(path), pb.get(path)
        if a != b:
            m = pa.info(path)
            rows.append({t("param_path"): path, t("param_label"): m["label"][lang],
                         t("article"): m.get("article", ""), t("unit"): unit_label(m.get("unit", "")),
                         la: shown(a), lb: shown(b)})
    return pd.DataFrame(rows, columns=[t("param_path"), t("param_label"), t("article"), t("unit"), la, lb])


def summary_diff(sa: dict, sb: dict, la: str, lb: str) -> pd.DataFrame:
    rows = []
    for scheme in scheme_list():
        a, b = sa["schemes"].get(scheme), sb["schemes"].get(scheme)
        if a is None or b is None:
            continue
        for key, kind, article in FIGURES:
            k, dec = scale() if kind == "money" else 1.0, {"money": 2, "pv": 3, "months": 2}[kind]    # fen, A-34.2, months
            units = {"money": unit_text(), "pv": t("u_yuan_per_point"), "months": t("u_months")}
            if a[key] is None or b[key] is None:      # a hospital folder: a step that needs the city's data
                rows.append({t("scn_col_scheme"): t(scheme), t("scn_col_item"): t("scn_na_item", item=t(key)),
                             t("article"): article, t("unit"): units[kind], la: None, lb: None,
                             t("scn_col_change"): None, t("scn_col_change_pct"): None})
                continue
            va, vb = a[key] / k, b[key] / k
            rows.append({t("scn_col_scheme"): t(scheme), t("scn_col_item"): t(key), t("article"): article,
                         t("unit"): units[kind], la: round(va, dec), lb: round(vb, dec),
                         t("scn_col_change"): round(vb - va, dec),
                         t("scn_col_change_pct"): (vb - va) / abs(va) if va else None})
    return pd.DataFrame(rows)


def hospital_diff(ha: pd.DataFrame, hb: pd.DataFrame, la: str, lb: str) -> pd.DataFrame:
    keys = ["hospital_id", "scheme"]
    m = ha[keys + ["name", "final_payment"]].merge(hb[keys + ["final_payment"]], on=keys, how="outer",
                                                   suffixes=("_a", "_b"))
    m = m[m["scheme"].isin(scheme_list())]
    k = scale()
    a, b = m["final_payment_a"] / k, m["final_payment_b"] / k
    out = pd.DataFrame({t("col_hospital_id"): m["hospital_id"], t("col_name"): m["name"],
                        t("scn_col_scheme"): m["scheme"].map(t), la: a, lb: b, t("scn_col_change"): b - a,
                        t("scn_col_change_pct"): (b - a) / a.abs().where(a != 0)})
    return out.reindex((b - a).abs().sort_values(ascending=False, kind="stable").index).reset_index(drop=True)


def change_chart(table: pd.DataFrame, la: str, lb: str) -> go.Figure:
    """The hospitals whose final payment changes most (B − A), largest on top."""
    top = table.head(TOP).iloc[::-1]
    d = top[t("scn_col_change")]
    names = [t("scn_hosp_scheme", name=n, scheme=sc)
             for n, sc in zip(top[t("col_name")], top[t("scn_col_scheme")])]
    k = scale()
    hover = [f"{n}<br>{la}: {money(x * k, unit=unit())}<br>{lb}: {money(y * k, unit=unit())}"
             f"<br>{t('scn_col_change')}: {money(z * k, unit=unit())}"
             for n, x, y, z in zip(names, top[la], top[lb], d)]
    fig = go.Figure(go.Bar(x=d, y=names, orientation="h", name=t("scn_col_change"), customdata=hover,
                           hovertemplate="%{customdata}<extra></extra>",
                           marker={"color": ["#2e9e6a" if v >= 0 else "#d9822b" for v in d]}))
    fig.update_layout(title=t("scn_chart_title", n=min(TOP, len(table)), a=la, b=lb),
                      height=max(320, 26 * len(top) + 120), margin={"t": 60, "b": 10, "l": 10, "r": 20},
                      xaxis={"title": t("scn_axis_change", unit=unit_text()),
                             "tickformat": ",.0f" if unit() == "yuan" else ",.2~f",
                             "zeroline": True, "zerolinecolor": "#555"},
                      yaxis={"title": t("scn_axis_hospital")}, showlegend=False,
                      font=font())
    return fig


# ---------------------------------------------------------------- the tabs
def library_tab(store: Store, table: pd.DataFrame, labels: dict[str, str]) -> None:
    """Save, list, load / rename / duplicate / delete, and the baseline."""
    names = table["name"].tolist()
    current = ss.get(state.K_NAME)
    st.subheader(t("scn_save_header"))
    vals = state.values()
    _, werr = state.params_or_error()
    status = t("scn_n_changed", n=count_changes(vals)) if vals else t("scn_no_changes")
    if current and current in names and store.load_scenario(current) != vals:
        status += " · " + t("scn_modified", name=current)
    st.markdown(t("scn_current_line", label=t("current_scenario"), name=current or t("unsaved_scenario"),
                  status=status))
    if werr:
        st.error(t("scn_err_invalid", err=werr))
    if current and ss.get(state.K_READ_ONLY):
        st.info(t("acc_read_only", name=current))
    may_save = allowed("save_scenario")
    if not may_save:
        st.caption(t("acc_no_save"))
    with st.form("scn_save_form", border=False):        # the inputs are sent with the click
        c1, c2 = st.columns([2, 3])
        name = c1.text_input(t("scn_name"), value=current or "", max_chars=80,
                             key=state.widget_key("scn_save_name"), placeholder=t("scn_name_hint"))
        note = c2.text_input(t("scn_note"), value=store.scenario_info(current)["note"]
                             if current is not None and current in names else "", key=state.widget_key("scn_save_note"))
        overwrite = st.checkbox(t("scn_overwrite"), value=False, key=state.widget_key("scn_overwrite"))
        clicked = st.form_submit_button(t("scn_save"), type="primary", disabled=bool(werr) or not may_save)
    if clicked:
        def save():
            require(user(), "save_scenario")
            if overwrite and name.strip() in store.scenario_names():
                require_scenario_edit(store, user(), name.strip())
            saved = store.save_scenario(name, vals, note=note, overwrite=overwrite, owner=user().email)
            audit(A.SCENARIO_SAVE, saved, *fingerprints_of(vals))
            ss[state.K_NAME] = saved
            ss[state.K_READ_ONLY] = False
            return saved
        act(save, lambda saved: t("scn_saved", name=saved))

    st.subheader(t("scn_list_header"))
    if not names:
        st.info(t("scn_none_saved"))
    else:
        marks = [" · ".join(m for m, on in ((t("scn_mark_current"), n == current),
                                            (t("scn_mark_baseline"), n == ss[state.K_BASELINE_NAME])) if on)
                 for n in names]
        view = pd.DataFrame({t("scn_col_name"): table["name"], t("scn_col_note"): table["note"],
                             t("scn_col_changed"): table["changed"], t("scn_col_in_use"): marks,
                             t("scn_col_created"): table["created"],
                             t("scn_col_updated"): table["updated"]})
        if not user().is_local:                  # with sign-in: whose, and whether published
            view[t("acc_col_owner")] = table["owner"].replace("", t("acc_owner_local"))
            view[t("acc_col_published")] = table["published"]
        when = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
        st.dataframe(view, hide_index=True, width="stretch",
                     column_config={t("scn_col_created"): when, t("scn_col_updated"): when})
        download_excel(view, t("scn_list_file"), "scn_list")

        box = st.container(border=True)
        pick = box.selectbox(t("scn_pick"), names, index=names.index(current) if current in names else 0,
                             key=state.widget_key("scn_pick"))
        editable = bool(table.loc[table["name"] == pick, "editable"].iloc[0])
        off: dict = {} if editable else {"disabled": True, "help": t("acc_edit_off")}
        if not editable:
            box.caption(t("acc_edit_off"))
        b1, b2, b3, b4, b5 = box.columns(5)
        if b1.button(t("scn_load"), key="scn_load_btn", type="primary", width="stretch",
                     help=t("scn_load_help")):
            def load():
                info = store.scenario_info(pick)
                if not info["published"]:             # the bureau's published figures are the bureau's choice
                    state.check_own_values(info["values"])
                state.set_values(info["values"])
                ss[state.K_NAME] = pick
            act(load, t("scn_loaded", name=pick))
        with b2.popover(t("scn_rename"), width="stretch", **off):
            new = st.text_input(t("scn_new_name"), value=pick, max_chars=80,
                                key=state.widget_key("scn_rename_to", pick))
            if st.button(t("scn_rename_do"), key="scn_rename_btn", **off):
                def rename():
                    require_scenario_edit(store, user(), pick)
                    store.rename_scenario(pick, new)
                    audit(A.SCENARIO_RENAME, f"{pick} → {new.strip()}")
                    if ss.get(state.K_NAME) == pick:
                        ss[state.K_NAME] = new.strip()
                    if ss[state.K_BASELINE_NAME] == pick:
                        ss[state.K_BASELINE_NAME] = new.strip()
                act(rename, t("scn_renamed", old=pick, new=new.strip()))
        dup_off: dict = {} if allowed("save_scenario") else {"disabled": True, "help": t("acc_no_save")}
        with b3.popover(t("scn_duplicate"), width="stretch", **dup_off):
            copy_name = st.text_input(t("scn_new_name"), value=t("scn_copy_of", name=pick), max_chars=80,
                                      key=state.widget_key("scn_dup_to", pick))
            if st.button(t("scn_duplicate_do"), key="scn_dup_btn", **dup_off):
                def duplicate():
                    require(user(), "save_scenario")
                    store.duplicate_scenario(pick, copy_name, owner=user().email)
                    audit(A.SCENARIO_SAVE, copy_name.strip(), detail=f"copy of {pick}")
                act(duplicate, t("scn_duplicated", name=pick, new=copy_name.strip()))
        with b4.popover(t("scn_delete"), width="stretch", **off):
            st.warning(t("scn_delete_confirm", name=pick))
            if st.button(t("scn_delete_do"), key="scn_del_btn", type="primary", **off):
                def delete():
                    require_scenario_edit(store, user(), pick)
                    store.delete_scenario(pick)
                    audit(A.SCENARIO_DELETE, pick)
                    if ss.get(state.K_NAME) == pick:
                        ss[state.K_NAME] = None      # the working values stay, now unsaved
                act(delete, t("scn_deleted", name=pick))
        b5.download_button(t("scn_export"), data=audited(A.EXPORT, f"{pick}.yaml",
                                                         lambda: store.export_scenario_yaml(pick).encode("utf-8")),
                           file_name=f"{pick}.yaml", mime="application/x-yaml", width="stretch",
                           key=state.widget_key("scn_export", pick), **no_export())
        if allowed("publish") and not user().is_local:
            publish_button(box, store, pick, bool(table.loc[table["name"] == pick, "published"].iloc[0]))

    st.subheader(t("scn_baseline_header"))
    st.caption(t("scn_baseline_caption"))
    opts = [state.BUILTIN] + names
    if ss[state.K_BASELINE_NAME] not in opts:            # a renamed/deleted or linked baseline
        opts.append(ss[state.K_BASELINE_NAME])
    key = f"scn_baseline_{lang}"
    ss[key] = ss[state.K_BASELINE_NAME]

    def set_baseline() -> None:
        chosen = ss[key]
        try:
            ss[state.K_BASELINE] = {} if chosen == state.BUILTIN else store.load_scenario(chosen)
            ss[state.K_BASELINE_NAME] = chosen
            ss["scn_flash"] = t("scn_baseline_set", name=t("builtin_rules") if chosen == state.BUILTIN
                                else chosen)
        except dip_model.DipError as exc:       # e.g. the scenario was deleted meanwhile
            ss["scn_flash_error"] = message(exc)

    st.selectbox(t("scn_baseline_pick"), opts, key=key, on_change=set_baseline,
                 format_func=fixed(labels))
    if "scn_flash_error" in ss:
        st.error(ss.pop("scn_flash_error"))


def compare_tab(store: Store, names: list[str], labels: dict[str, str]) -> None:
    """Two scenarios compared: parameters, results, hospitals."""
    opts = [WORKING, BASELINE, state.BUILTIN] + names
    c1, c2 = st.columns(2)
    pick_a = c1.selectbox(t("scn_pick_a"), opts, index=1, format_func=fixed(labels),
                          key=state.widget_key("scn_cmp_a"))
    pick_b = c2.selectbox(t("scn_pick_b"), opts, index=0, format_func=fixed(labels),
                          key=state.widget_key("scn_cmp_b"))
    la = t("scn_side", side="A", name=short_label(pick_a))
    lb = t("scn_side", side="B", name=short_label(pick_b))
    va, vb = values_of(store, pick_a), values_of(store, pick_b)
    pa, ea = state.params_or_error(va)
    pb, eb = state.params_or_error(vb)
    for label, err in ((la, ea), (lb, eb)):
        if err:
            st.error(t("scn_side_invalid", side=label, err=err))
    diff = param_diff(pa, pb, la, lb) if pa and pb else None
    if diff is not None:
        st.subheader(t("scn_param_diff"))
        if diff.empty:
            st.info(t("scn_same_params"))          # same parameters: the same results
        else:
            st.caption(t("scn_param_diff_caption", n=len(diff)))
            st.dataframe(diff, hide_index=True, width="stretch")
            download_excel(diff, t("scn_param_diff_file"), "scn_param_diff")
    if diff is not None and not diff.empty:
        st.subheader(t("scn_result_diff"))
        with st.spinner(t("loading")):
            (sa, ha, ra_err), (sb, hb, rb_err) = compare(va, vb)
        for label, err in ((la, ra_err), (lb, rb_err)):
            if err:
                st.error(t("scn_side_failed", side=label, err=err))
        if sa and sb:
            summ = summary_diff(sa, sb, la, lb)
            num = st.column_config.NumberColumn(format="localized")
            pct = st.column_config.NumberColumn(format="percent")
            st.dataframe(summ, hide_index=True, width="stretch", placeholder="—",
                         height=35 * (len(summ) + 1) + 3,
                         column_config={la: num, lb: num, t("scn_col_change"): num,
                                        t("scn_col_change_pct"): pct})
            download_excel(summ, t("scn_summary_file"), "scn_summary")

            st.markdown(f"**{t('scn_hosp_header', unit=unit_text())}**")
            hosp = hospital_diff(ha, hb, la, lb)
            d = hosp[t("scn_col_change")]
            eps = 0.005 / scale()
            st.caption(t("scn_hosp_caption", up=int((d > eps).sum()), down=int((d < -eps).sum()),
                         same=int((d.abs() <= eps).sum())))
            yuan = st.column_config.NumberColumn(format="%,.2f")
            st.dataframe(hosp, hide_index=True, width="stretch", height=360, placeholder="—",
                         column_config={la: yuan, lb: yuan, t("scn_col_change"): yuan,
                                        t("scn_col_change_pct"): pct})
            download_excel(hosp, t("scn_hosp_file"), "scn_hosp")
            if (d.abs() > eps).any():
                fig = change_chart(hosp[d.abs() > eps], la, lb)
                st.plotly_chart(fig, width="stretch", key="scn_chart")
                download_png(fig, t("scn_chart_file"), "scn_chart")


def share_tab(store: Store, names: list[str], labels: dict[str, str]) -> None:
    """Share as a link; export and import YAML."""
    st.subheader(t("scn_link_header"))
    opts = [WORKING] + names
    pick = st.selectbox(t("scn_link_pick"), opts, format_func=fixed(labels),
                        key=state.widget_key("scn_link_pick"))
    vals = values_of(store, pick)
    link = share_link(vals, ss.get(state.K_NAME) if pick == WORKING else pick)
    if not vals:
        st.info(t("scn_link_builtin"))
    st.code(link, language=None, wrap_lines=True)
    st.caption(t("scn_link_caption"))

    st.subheader(t("scn_yaml_header"))
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(f"**{t('scn_export_header')}**")
        pick_e = st.selectbox(t("scn_export_pick"), opts, format_func=fixed(labels),
                              key=state.widget_key("scn_export_pick"))
        if pick_e == WORKING:
            wname = ss.get(state.K_NAME) or t("unsaved_scenario")
            text = scenario_yaml(wname, state.values())
            fname = wname
        else:
            text, fname = store.export_scenario_yaml(pick_e), pick_e
        st.code(text, language="yaml", wrap_lines=True)
        raw = text.encode("utf-8")
        st.download_button(t("scn_export"), data=audited(A.EXPORT, f"{fname}.yaml", lambda: raw),
                           file_name=f"{fname}.yaml", mime="application/x-yaml",
                           key=state.widget_key("scn_export_dl", pick_e), **no_export())
    with c2:
        st.markdown(f"**{t('scn_import_header')}**")
        up = st.file_uploader(t("scn_import_file"), type=["yaml", "yml"], key="scn_import_file",
                              help=t("scn_import_help"), max_upload_size=1)
        as_name = st.text_input(t("scn_import_name"), key=state.widget_key("scn_import_name"),
                                placeholder=t("scn_import_name_hint"), max_chars=80)
        over = st.checkbox(t("scn_overwrite"), key=state.widget_key("scn_import_over"))
        then_load = st.checkbox(t("scn_import_load"), value=True, key=state.widget_key("scn_import_load"))
        may_save = allowed("save_scenario")
        clicked = st.button(t("scn_import_do"), key="scn_import_btn", disabled=up is None or not may_save,
                            type="primary", help=None if may_save else t("acc_no_save"))
        if clicked and up is not None:
            def do_import():
                require(user(), "save_scenario")
                raw = up.getvalue()
                if len(raw) > 1_000_000:
                    raise StoreError(Message("scenario_too_big", mb=1), code="too_big")
                wanted = as_name.strip()
                if over and wanted and wanted in store.scenario_names():
                    require_scenario_edit(store, user(), wanted)
                saved = store.import_scenario_yaml(raw, name=wanted or None, overwrite=over, owner=user().email)
                audit(A.SCENARIO_SAVE, saved, *fingerprints_of(store.load_scenario(saved)), detail="import")
                if then_load:
                    state.check_own_values(store.load_scenario(saved))
                    state.set_values(store.load_scenario(saved))
                    ss[state.K_NAME] = saved
                return saved
            act(do_import, lambda saved: t("scn_imported_loaded" if then_load else "scn_imported",
                                           name=saved))


def section(draw: Callable[[], None]) -> None:
    """One tab: a store or validation problem in this page's words; anything else to the page guard."""
    def run() -> None:
        try:
            draw()
        except dip_model.DipError as exc:
            st.error(message(exc))
    state.run_page(run)


# ---------------------------------------------------------------- page
def page() -> None:
    st.title(t("nav_scenarios"))
    st.caption(t("scn_caption"))
    if "scn_flash" in ss:
        st.success(ss.pop("scn_flash"))
    store = Store.default()
    try:
        table = visible_scenarios(store, user())       # their own and the published (the bureau: all)
    except StoreError as exc:
        st.error(message(exc))
        return
    names = table["name"].tolist()
    # option labels, fixed for this run (a format_func must not read the session: AppTest calls it later)
    labels = {c: choice_label(c) for c in (WORKING, BASELINE, state.BUILTIN, *names)}
    tab_lib, tab_cmp, tab_share = st.tabs([t("scn_tab_library"), t("scn_tab_compare"), t("scn_tab_share")])
    with tab_lib:
        section(lambda: library_tab(store, table, labels))
    with tab_cmp:
        section(lambda: compare_tab(store, names, labels))
    with tab_share:
        section(lambda: share_tab(store, names, labels))


state.run_page(page)
