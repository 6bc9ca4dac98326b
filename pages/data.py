"""数据 Data: which dataset the app runs on (the sample city, data folders, stored datasets) with the
contract's check of it; imports of real settlement-list / front-page exports (upload, column and value
mapping, progress bar); and the data-quality report of an import (rejected rows by rule, grouping and
QC-fail rates, cases per hospital / scheme / month, cost outliers)."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import dip_model
from dip_model import yamlio
from dip_model.data import importer
from dip_model.data.importer.mapping import TARGETS, Mapping, builtin, fold, missing_targets, recognise
from dip_model.data.importer.read import ReadError, detect_encoding, sniff
from dip_model.data.schema import SCHEME_WORDS
from dip_model.data.store import audit_actions as A
from ui import access, state
from ui.export import download_excel, download_png
from ui.figures import font
from ui.i18n import catalog, current_lang, t, tr
from ui.texts import fixed, labeller, level_text

K_LAST = "dat_last_import"          # folder of this session's last import
K_TMP = "dat_upload_dir"            # this session's folder for uploaded files (emptied after each import)
K_PICK = "dat_pick"
EXTS = {"csv": "csv", "xlsx": "excel", "xls": "excel", "parquet": "parquet"}
SHOWN_ROWS = 500                    # rejected rows / outliers shown on screen (all in the download)


# --- datasets ----------------------------------------------------------------------------------

def imports_root() -> Path:
    return Path(os.environ.get("DIP_IMPORTS") or state.ROOT / "data" / "imports")


def _is_folder(p: Path) -> bool:
    return p.is_dir() and any((p / f"cases{s}").is_file() for s in (".csv", ".parquet", ".xlsx"))


def current_path() -> str:
    return str(st.session_state.get("dataset_path") or state.ensure_sample())


def choices() -> dict[str, str]:
    """Dataset key -> label: the default dataset, folders under data/ and the imports, stored ones."""
    out = {}
    default = Path(state.ensure_sample())
    out[str(default)] = t("sample_city") if default == state.SAMPLE else t("dat_default_folder", name=default.name)
    for base, tag in ((state.ROOT / "data", "dat_tag_folder"), (imports_root(), "dat_tag_import")):
        if base.is_dir():
            for p in sorted(base.iterdir()):
                if _is_folder(p) and str(p) not in out:
                    out[str(p)] = t(tag, name=p.name)
    cur = current_path()
    out.setdefault(cur, t("dat_tag_folder", name=Path(cur).name))
    for ds_id, name in stored().items():
        out[f"store:{ds_id}"] = t("dat_tag_store", name=name)
    return out


def stored() -> dict[str, str]:
    """Datasets in the embedded store."""
    from dip_model.data.store import Store, StoreError
    try:
        df = Store.default().list_datasets()
    except StoreError:              # the store cannot be opened, or it is busy: list folders only
        return {}
    return dict(zip(df["id"], df["name"]))


@st.cache_data(max_entries=16, show_spinner=False)
def check_folder(path: str, signature: str) -> tuple[list[str], list[str]]:
    """`python -m dip_model validate` for a folder: problems and warnings as Messages, shown in the
    page's language (keyed by the folder's file signature, so a changed file is checked again)."""
    problems, warnings = dip_model.validate(path)
    return [p.located() for p in problems], list(warnings)


def switch_to(key: str) -> None:
    access.check("manage_datasets")
    if key.startswith("store:"):
        st.session_state[state.K_STORE_ID] = key.split(":", 1)[1]
        st.session_state.pop("dataset_path", None)
    else:
        st.session_state["dataset_path"] = key
        st.session_state.pop(state.K_STORE_ID, None)
    st.session_state.pop(K_PICK, None)


# --- formatting --------------------------------------------------------------------------------

def n_fmt(v) -> str:
    return "—" if v is None else f"{int(v):,}"


def pct(v) -> str:
    return "—" if v is None else f"{v:.1%}"


def col_label(target: str) -> str:
    return t(f"dat_col_{target}") if target else t("dat_ignore")


def rule_label(rule: str, q: dict | None = None) -> str:
    """A rejection rule ('column: text') in the current language: from its message in the report `q`;
    for a report written before the rules carried their message, from the page's own wording (the text
    as written when unknown)."""
    entry = next((r for r in (q or {}).get("rejected_by_rule", []) + (q or {}).get("warnings_by_rule", [])
                  if r["rule"] == rule), None)
    template = importer.rule_template(entry) if entry else None
    column, _, text = rule.partition(": ")
    if template is not None:
        text = template.text(current_lang())
    else:
        key = "dat_rule_" + re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60]
        text = catalog(current_lang()).get(key, text)
    col = t("dat_col_row") if column == "row" else col_label(column) if column in TARGETS else column
    return f"{col}：{text}" if current_lang() == "zh" else f"{col}: {text}"


def layout(fig: go.Figure, title: str, x: str, y: str, height: int = 380) -> go.Figure:
    fig.update_layout(title=title, height=height, font=font(), margin={"t": 60, "b": 10, "l": 10, "r": 10},
                      xaxis={"title": x, "automargin": True}, yaxis={"title": y, "automargin": True},
                      legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"})
    return fig


# --- the dataset tab ---------------------------------------------------------------------------

def dataset_tab() -> None:
    st.subheader(t("dat_current"))
    in_store = bool(st.session_state.get(state.K_STORE_ID))
    if not in_store and not Path(current_path()).is_dir():     # moved or deleted: choose another below
        st.error(t("dat_current_missing", path=Path(current_path()).name))
    else:
        try:
            with st.spinner(t("loading")):
                ds = state.dataset()
            summary(ds)
        except dip_model.DipError as exc:
            st.error(t("dat_current_invalid", err=exc))
    opts = choices()
    keys = list(opts)
    cur = f"store:{st.session_state[state.K_STORE_ID]}" if in_store else current_path()
    st.subheader(t("dat_choose"))
    pick = st.selectbox(t("dat_dataset"), keys, index=keys.index(cur) if cur in keys else 0,
                        format_func=lambda k: opts.get(k, k), key=K_PICK)
    if pick.startswith("store:"):
        st.button(t("dat_use"), type="primary", on_click=switch_to, args=(pick,), key="dat_use_pick")
        st.caption(t("dat_store_note"))
        return
    problems = folder_check(pick)
    if pick != cur:
        st.button(t("dat_use"), type="primary", on_click=switch_to, args=(pick,), key="dat_use_pick",
                  disabled=bool(problems), help=t("dat_use_blocked") if problems else None)
    folder_report(pick, problems)


def summary(ds) -> None:
    c = ds.cases
    counts = c["scheme"].value_counts()
    cols = st.columns(4)
    cols[0].metric(t("dat_m_cases"), n_fmt(len(c)))
    cols[1].metric(t("dat_m_hospitals"), n_fmt(len(ds.hospitals)))
    for col, s in zip(cols[2:], dip_model.SCHEMES):
        col.metric(t("dat_m_scheme_cases", scheme=t(s)), n_fmt(counts.get(s, 0)))
    d = c["discharge_date"]
    period = f"{d.min():%Y-%m-%d} – {d.max():%Y-%m-%d}" if len(c) else "—"
    groups = n_fmt(len(ds.catalogue)) if ds.catalogue is not None else "—"
    st.caption(t("dat_source", src=Path(ds.source).name or ds.source, period=period, groups=groups))


def signature(path: str) -> str:
    return state.folder_signature(path) if Path(path).is_dir() else "missing"


def folder_check(path: str) -> list[str]:
    with st.spinner(t("dat_checking")):
        return check_folder(path, signature(path))[0]


def folder_report(path: str, problems: list[str]) -> None:
    """The contract check of a folder (as `validate`), and its quality report when it was imported."""
    p = Path(path)
    warnings = check_folder(path, signature(path))[1]
    st.markdown(f"**{t('dat_check_title')}**")
    if problems:
        st.error(t("dat_check_problems", n=len(problems)))
        st.code("\n".join(tr(p) for p in problems[:50]), language=None, wrap_lines=True)
    else:
        st.success(t("dat_check_ok"))
    if warnings:
        with st.expander(t("dat_check_warnings", n=len(warnings))):
            st.code("\n".join(tr(w) for w in warnings[:50]), language=None, wrap_lines=True)
    q = importer.read_quality(p)
    if q:
        st.divider()
        quality_report(q, p, "pick")


# --- the import tab ----------------------------------------------------------------------------

def upload_dir() -> Path:
    d = st.session_state.get(K_TMP)
    if not d or not Path(d).is_dir():
        d = tempfile.mkdtemp(prefix="dip-upload-")
        st.session_state[K_TMP] = d
    return Path(d)


def materialise(f) -> Path:
    """An uploaded file written to this session's upload folder (once)."""
    path = upload_dir() / f.file_id / Path(f.name).name
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f.getvalue())
    return path


def content_error(f) -> str | None:
    """Why an upload is not what its name says (checked on its bytes, not its extension)."""
    data = f.getvalue()
    ext = Path(f.name).suffix.lower().lstrip(".")
    if not data.strip():
        return t("dat_bad_empty", name=f.name)
    kind = sniff(data[:8])
    if EXTS.get(ext) != kind:
        return t("dat_bad_kind", name=f.name, kind=t(f"dat_kind_{kind}"))
    if kind == "csv":
        try:
            detect_encoding(data[:1 << 20])
        except ReadError:
            return t("dat_bad_text", name=f.name)
    return None


def inspected(f) -> dict:
    """inspect() of an upload (kind, encoding, header, first rows), cached in the session per file."""
    cache = st.session_state.setdefault("dat_inspect", {})
    if f.file_id not in cache:
        if len(cache) > 20:
            cache.clear()
        path = materialise(f)
        try:
            cache[f.file_id] = importer.inspect(path, rows=2000)
        finally:                    # uploads stay on disk only while they are read
            shutil.rmtree(upload_dir(), ignore_errors=True)
    return cache[f.file_id]


def base_mapping(upload) -> Mapping | None:
    if upload is None:
        return None
    import yaml
    try:
        return Mapping.from_dict(yamlio.safe_load(upload.getvalue().decode("utf-8")), upload.name)
    except (dip_model.DipError, yaml.YAMLError, UnicodeDecodeError) as exc:
        st.error(t("dat_bad_mapping", name=upload.name, err=exc))
        return None


def import_tab() -> None:
    st.caption(t("dat_import_intro"))
    kinds = ["city", "hospital"]
    kind = st.radio(t("dat_mode"), kinds, index=kinds.index(state.mode()), horizontal=True, key="dat_mode",
                    format_func=labeller("dat_mode_"), help=t("dat_mode_help"))
    hospital = kind == "hospital"
    files = st.file_uploader(t("dat_upload_hospital" if hospital else "dat_upload"), type=list(EXTS),
                             accept_multiple_files=True, key="dat_files", help=t("dat_upload_help"))
    side: dict = {}
    if hospital:                       # the bureau's published tables are what a hospital has: in view
        st.markdown(f"**{t('dat_published_title')}**")
        st.caption(t("dat_published_note"))
        c = st.columns(2)
        side["catalogue"] = c[0].file_uploader(t("dat_up_catalogue_pub"), type=list(EXTS), key="dat_up_c",
                                               help=t("dat_up_catalogue_help"))
        side["level_costs"] = c[1].file_uploader(t("dat_up_level_costs"), type=list(EXTS), key="dat_up_l",
                                                 help=t("dat_up_level_costs_help"))
        published_ok = all(published_preview(side[k], k) for k in ("catalogue", "level_costs"))   # right here
    with st.expander(t("dat_side_tables_hospital" if hospital else "dat_side_tables")):
        st.caption(t("dat_side_note_hospital" if hospital else "dat_side_note"))
        grid = st.columns(1 if hospital else 4)
        side["hospitals"] = grid[0].file_uploader(t("dat_up_hospitals"), type=list(EXTS), key="dat_up_h")
        if not hospital:
            side["fund"] = grid[1].file_uploader(t("dat_up_fund"), type=list(EXTS), key="dat_up_f")
            side["catalogue"] = grid[2].file_uploader(t("dat_up_catalogue"), type=list(EXTS), key="dat_up_c",
                                                      help=t("dat_up_catalogue_help"))
            side["level_costs"] = grid[3].file_uploader(t("dat_up_level_costs"), type=list(EXTS), key="dat_up_l",
                                                        help=t("dat_up_level_costs_help"))
        map_file = st.file_uploader(t("dat_up_mapping"), type=["yaml", "yml"], key="dat_up_m")
    bad = [e for e in (content_error(f) for f in [*(files or []), *(v for v in side.values() if v)]) if e]
    for e in bad:
        st.error(e)
    if not hospital:
        published_ok = all(published_preview(side.get(k), k) for k in ("catalogue", "level_costs"))
    published_ok = published_ok and not bad
    if files and not bad:
        user = mapping_ui(files, base_mapping(map_file))
        row = own_row(files, side.get("hospitals"), user) if hospital and user is not None else None
        if user is not None and published_ok and (not hospital or row is not None):
            run_ui(files, side, user, hospital, row)
    last = st.session_state.get(K_LAST)
    q = importer.read_quality(last) if last else None
    if last and q:
        after_import(Path(last), q)


def published_preview(f, kind: str) -> bool:
    """What the importer recognises in an uploaded published table (importer.inspect_catalogue /
    inspect_level_costs): the columns used, the layout, the required ones missing; False when the file
    cannot be used (its layout not recognised, or unreadable), said with the file's name."""
    if f is None:
        return True
    cache = st.session_state.setdefault("dat_inspect_pub", {})
    if (f.file_id, kind) not in cache:
        path = materialise(f)
        try:
            inspect = importer.inspect_catalogue if kind == "catalogue" else importer.inspect_level_costs
            cache[(f.file_id, kind)] = inspect(path, rows=20)
        except dip_model.DipError as exc:
            cache[(f.file_id, kind)] = exc
        finally:
            shutil.rmtree(upload_dir(), ignore_errors=True)
    info = cache[(f.file_id, kind)]
    if isinstance(info, dip_model.DipError):
        st.error(t("dat_pub_unreadable", name=f.name, err=tr(info)))
        return False
    used = [f"{c} → {pub_col(v)}" for c, v in info["mapped"].items() if v]
    sep = "；" if current_lang() == "zh" else "; "
    if info.get("wide_levels"):
        used += [f"{c} → {t('dat_pcol_mean_cost')}（{level_text(lv)}）" for c, lv in info["wide_levels"].items()]
    if info["missing"]:
        st.error(t("dat_pub_missing", name=f.name, cols=sep.join(pub_col(m) for m in info["missing"]),
                   have=sep.join(info["columns"])))
        return False
    st.caption(t("dat_pub_recognised", name=f.name, cols=sep.join(used)))
    return True


def pub_col(target: str) -> str:
    """A column of the published catalogue or level-cost table, in words."""
    key = f"dat_pcol_{target}"
    text = t(key)
    return target if text == key else text


LEVELS = ("3A", "3B", "2A", "2B", "1")


def own_row(files, upload, user: Mapping) -> dict | None:
    """The hospital's own row (hospitals.csv) for a hospital's export: its code (read from the export),
    name, level and reimbursement level (A-22: the level decides its coefficient and prior-year costs);
    not needed when a hospitals file is uploaded. None while the code is missing."""
    if upload is not None:
        return {}
    info = inspected(files[0])
    col = next((c for c, v in recognise(info["columns"], user).items() if v == "hospital_id"), None)
    seen = info["preview"][col].dropna().astype(str).str.strip() if col else pd.Series(dtype=str)
    found = seen.mode().iloc[0] if len(seen) else ""
    st.markdown(f"**{t('dat_own_title')}**")
    c = st.columns([1, 2, 1, 1])
    hid = c[0].text_input(t("dat_own_id"), value=found, key="dat_own_id", help=t("dat_own_id_help")).strip()
    name = c[1].text_input(t("dat_own_name"), key="dat_own_name").strip()
    level = c[2].selectbox(t("dat_own_level"), LEVELS, key="dat_own_level", help=t("dat_own_level_help"),
                           format_func=fixed({lv: level_text(lv) for lv in LEVELS}))
    reimb = c[3].selectbox(t("dat_own_reimb"), [3, 2, 1], key="dat_own_reimb", help=t("dat_own_reimb_help"))
    if not hid:
        st.warning(t("dat_own_missing"))
        return None
    return {"hospital_id": hid, "name": name or hid, "level": level, "reimb_level": reimb}


def mapping_ui(files, base: Mapping | None) -> Mapping | None:
    """Columns the built-in headers (and an uploaded mapping) recognise, a selectbox for every other
    column, a value map for unknown scheme values; returns the user's mapping, or None while a
    required column is unmapped."""
    base = base or Mapping()
    infos = {f.file_id: inspected(f) for f in files}
    known = {f.file_id: recognise(infos[f.file_id]["columns"], base) for f in files}
    st.subheader(t("dat_map_title"))
    unmapped = list(dict.fromkeys(c for f in files for c in infos[f.file_id]["columns"] if c not in known[f.file_id]))
    taken = {v for m in known.values() for v in m.values() if v}
    cols = dict(base.columns)
    chosen: dict[str, str] = {}
    with st.expander(t("dat_preview", n=min(20, len(infos[files[0].file_id]["preview"])), name=files[0].name)):
        st.dataframe(infos[files[0].file_id]["preview"].head(20), hide_index=True, width="stretch")
    if unmapped:
        st.markdown(t("dat_map_unrecognised", n=len(unmapped)))
        grid = st.columns(3)
        options = [""] + [x for x in TARGETS if x not in taken]
        for i, col in enumerate(unmapped):
            with grid[i % 3]:
                choice = st.selectbox(col, options, format_func=col_label, key=f"dat_map:{col}")
            if choice and choice in chosen.values():
                st.warning(t("dat_map_twice", col=col, target=col_label(choice)))
            elif choice:
                chosen[col] = choice
    cols.update(chosen)
    user = Mapping(cols, dict(base.values), dict(base.header_values), dict(base.options))
    rows = []
    for f in files:
        mapped = recognise(infos[f.file_id]["columns"], user)
        for col in infos[f.file_id]["columns"]:
            rows.append({t("dat_h_file"): f.name, t("dat_h_source"): col,
                         t("dat_h_target"): col_label(mapped.get(col, ""))})
    with st.expander(t("dat_map_table", n=len(rows))):
        table = pd.DataFrame(rows)
        st.dataframe(table, hide_index=True, width="stretch")
        download_excel(table, t("dat_map_title"), "dat_map_xlsx")
    values = scheme_values(files, infos, user)
    if values:
        user.values = {**user.values, "scheme": {**user.values.get("scheme", {}), **values}}
    with st.expander(t("dat_options")):
        proc = st.radio(t("dat_opt_proc"), ["short", "full"], horizontal=True,
                        index=["short", "full"].index(user.options.get("proc_codes", "short")),
                        format_func=lambda o: t(f"dat_opt_proc_{o}"), key="dat_opt_proc")
        user.options = {**user.options, "proc_codes": proc}
    st.download_button(f"⬇ {t('dat_save_mapping')}", data=user.to_yaml(), file_name="mapping.yaml",
                       mime="application/x-yaml", key="dat_dl_mapping", help=t("dat_save_mapping_help"))
    missing = sorted({m for f in files for m in missing_targets(recognise(infos[f.file_id]["columns"], user))})
    if missing:
        sep = "、" if current_lang() == "zh" else ", "
        st.warning(t("dat_map_missing", cols=sep.join(col_label(m) for m in missing)))
        return None
    return user


def scheme_values(files, infos, user: Mapping) -> dict[str, str]:
    """A selectbox for each scheme value (in the first rows) that is neither built in nor a contract spelling."""
    known = set(builtin().mapping.values.get("scheme", {})) | set(SCHEME_WORDS) | set(user.values.get("scheme", {}))
    seen = []
    for f in files:
        info = infos[f.file_id]
        src = next((c for c, v in recognise(info["columns"], user).items() if v == "scheme"), None)
        if src is None:
            continue
        hv = builtin().mapping.header_values.get(fold(src))
        for v in info["preview"][src].dropna().astype(str).str.strip().unique():
            k = v.lower()
            if v and k not in known and (hv is None or k not in hv) and v not in seen:
                seen.append(v)
    out = {}
    if seen:
        st.markdown(t("dat_values_title"))
        grid = st.columns(3)
        for i, v in enumerate(seen[:30]):
            with grid[i % 3]:
                c = st.selectbox(v, ["", "employee", "resident"], key=f"dat_val:{v}",
                                 format_func=lambda x: t(x) if x else t("dat_value_reject"))
            if c:
                out[v] = c
    return out


def run_ui(files, side: dict, user: Mapping, hospital: bool = False, row: dict | None = None) -> None:
    """The import's name and button; `hospital`: a hospital's own export (no fund table, `row` its own
    hospitals.csv row when no hospitals file is given)."""
    st.subheader(t("dat_run_title"))
    default = re.sub(r"[^\w\-]+", "-", Path(files[0].name).stem).strip("-") or "import"
    name = st.text_input(t("dat_name"), value=default, key="dat_name", max_chars=60, help=t("dat_name_help"))
    name = re.sub(r"[^\w\-]+", "-", name.strip()).strip("-.")
    if not name:
        st.warning(t("dat_name_empty"))
        return
    out = imports_root() / name
    st.caption(t("dat_target_replace" if out.exists() else "dat_target_new", name=name))
    if not st.button(t("dat_run"), type="primary", key="dat_run"):
        return
    access.check("import")                   # the bureau's only, whatever the page shows
    bar = st.progress(0.0, text=t("dat_progress_start"))
    t0 = time.perf_counter()

    def progress(done: float, rows: int) -> None:
        bar.progress(min(max(done, 0.0), 1.0), text=t("dat_progress", rows=n_fmt(rows), pct=done * 100,
                                                    s=time.perf_counter() - t0))
    try:
        paths = [materialise(f) for f in files]
        extra = {k: materialise(v) if v else None for k, v in side.items()}
        res = importer.run_import(paths, out, mapping=user, progress=progress, names=[f.name for f in files],
                                  lang=current_lang(), hospitals=extra.get("hospitals") or row or None,
                                  fund=extra.get("fund"), catalogue=extra.get("catalogue"),
                                  level_costs=extra.get("level_costs"), hospital=hospital)
        st.session_state[K_LAST] = str(res.out)
        access.audit(A.IMPORT, name, detail=f"{res.quality['rows_used']} rows")
        bar.progress(1.0, text=t("dat_progress_done", s=res.quality["seconds"]))
    except dip_model.DipError as exc:
        bar.empty()
        st.error(t("dat_import_failed", err=exc))
    finally:
        shutil.rmtree(upload_dir(), ignore_errors=True)    # uploads are not kept on disk
        st.session_state.pop("dat_inspect", None)


def after_import(folder: Path, q: dict) -> None:
    """The import just done: its summary, the switch to it, and its quality report `q`."""
    st.divider()
    st.success(t("dat_done", name=folder.name, used=n_fmt(q["rows_used"]), read=n_fmt(q["rows_read"]),
                 rejected=n_fmt(q["rows_rejected"]), s=q.get("seconds", 0)))
    problems = folder_check(str(folder))
    if current_path() == str(folder):
        st.caption(t("dat_is_current"))
    else:
        st.button(t("dat_switch"), type="primary", on_click=switch_to, args=(str(folder),), key="dat_switch",
                  disabled=bool(problems))
        if problems:
            st.caption(t("dat_switch_blocked", n=len(problems)))
    if not problems and st.button(t("dat_save_store"), key="dat_save_store"):
        from dip_model.data.store import Store
        access.check("manage_datasets")
        with st.spinner(t("dat_saving_store")):
            stored = dip_model.load_data(folder)
            Store.default().save_dataset(stored, folder.name, quality=q)
        access.audit(A.IMPORT, f"store:{folder.name}", dataset=stored.version)
        st.success(t("dat_saved_store", name=folder.name))
    quality_report(q, folder, "last")


# --- the quality report ------------------------------------------------------------------------

def quality_report(q: dict, folder: Path, key: str) -> None:
    st.subheader(t("dat_q_title"))
    m = st.columns(6)
    m[0].metric(t("dat_q_read"), n_fmt(q["rows_read"]))
    m[1].metric(t("dat_q_used"), n_fmt(q["rows_used"]))
    m[2].metric(t("dat_q_rejected"), n_fmt(q["rows_rejected"]),
                help=t("dat_q_rejected_help"))
    m[3].metric(t("dat_q_grouping"), pct(q["grouping_rate"]),
                help=t("dat_q_grouping_help") if q["grouping_rate"] is not None else t("dat_q_grouping_none"))
    m[4].metric(t("dat_q_qc"), pct(q["qc_fail_rate"]),
                help=t("dat_q_qc_help") if q["qc_fail_rate"] is not None else t("dat_q_qc_none"))
    o = q["outliers"]
    m[5].metric(t("dat_q_outliers"), n_fmt(o["high"] + o["low"]),
                help=t("dat_q_outliers_help", high=f"{o['rule']['high']:g}", low=f"{o['rule']['low']:g}",
                       n=o["rule"]["min_group_cases"]))
    for n in q.get("notes", []):
        (st.warning if n["level"] == "problem" else st.info)(note_text(n))
    for kind in ("catalogue", "level_costs"):
        if q.get(kind):
            published_section(q[kind], kind, folder, key)
    rejected_section(q, folder, key)
    hospitals_section(q, key)
    months_section(q, key)
    outliers_section(q, folder, key)
    with st.expander(t("dat_q_files")):
        files_table(q, key)


def published_section(r: dict, kind: str, folder: Path, key: str) -> None:
    """The report of a published table imported beside the exports (importer/published.py): the file, its
    layout and the columns used, rows read / used / rejected with the rules broken, what was read."""
    st.markdown(f"#### {t(f'dat_pub_title_{kind}', name=r['file'])}")
    m = st.columns(4)
    m[0].metric(t(f"dat_pub_read_{kind}"), n_fmt(r["rows_read"]))
    m[1].metric(t(f"dat_pub_used_{kind}"), n_fmt(r["rows_used"]),
                help=t("dat_pub_used_wide") if r.get("layout") == "wide" else None)
    m[2].metric(t(f"dat_pub_rejected_{kind}"), n_fmt(r["rows_rejected"]))
    if kind == "catalogue" and r.get("groups"):
        g = r["groups"]
        m[3].metric(t("dat_pub_groups"), n_fmt(g["total"]),
                    help=t("dat_pub_groups_help", core=n_fmt(g["core"]), comp=n_fmt(g["comprehensive"]),
                           grass=n_fmt(g["grassroots"]), tcm=n_fmt(g["tcm_standard"])))
        rw = r.get("rw")
        st.caption(t("dat_pub_catalogue_summary", core=n_fmt(g["core"]), comp=n_fmt(g["comprehensive"]),
                     grass=n_fmt(g["grassroots"]), tcm=n_fmt(g["tcm_standard"]),
                     rw=t("dat_pub_rw", lo=rw["min"], med=rw["median"], hi=rw["max"]) if rw else "—"))
    elif kind == "level_costs":
        m[3].metric(t("dat_pub_not_in_catalogue"), n_fmt(r.get("not_in_catalogue")),
                    help=t("dat_pub_not_in_catalogue_help"))
    sep = "；" if current_lang() == "zh" else "; "
    used = [f"{c} → {pub_col(v)}" for c, v in r["mapped"].items()]
    used += [f"{c} → {t('dat_pcol_mean_cost')}（{level_text(lv)}）" for c, lv in (r.get("wide_levels") or {}).items()]
    st.caption(t("dat_pub_layout_" + r.get("layout", "long")) + sep + t("dat_pub_used_cols", cols=sep.join(used))
               + (sep + t("dat_pub_ignored", cols=sep.join(r["ignored"])) if r.get("ignored") else ""))
    if r["rejected_by_rule"]:
        table = pd.DataFrame({t("dat_h_rule"): [rule_label(x["rule"], r) for x in r["rejected_by_rule"]],
                              t("dat_h_rows"): [x["rows"] for x in r["rejected_by_rule"]]})
        st.dataframe(table, hide_index=True, width="stretch", key=f"dat_pub_rules_{kind}_{key}")
    path = folder / (importer.CATALOGUE_REJECTED if kind == "catalogue" else importer.LEVEL_COSTS_REJECTED)
    if r["rows_rejected"] and path.is_file():
        st.download_button(f"⬇ {t('dat_pub_dl_rejected')}", data=lambda: path.read_bytes(),
                           file_name=f"{folder.name}-{path.name}", mime="text/csv", key=f"dat_dl_pub_{kind}_{key}")


def note_text(n: dict) -> str:
    """A report note in the current language: the page's wording of its code, else the importer's message
    (the text as written for a code this version does not know)."""
    key = f"dat_note_{n['code']}"
    if key in catalog(current_lang()):
        return t(key, **n.get("params", {}))
    try:
        return importer.note_message(n["code"], n.get("params", {})).text(current_lang())
    except (KeyError, IndexError, ValueError):
        return n["text"]


def rejected_section(q: dict, folder: Path, key: str) -> None:
    st.markdown(f"#### {t('dat_q_rej_title')}")
    rules = q["rejected_by_rule"]
    if not rules:
        st.success(t("dat_q_rej_none"))
    else:
        table = pd.DataFrame({t("dat_h_rule"): [rule_label(r["rule"], q) for r in rules],
                              t("dat_h_rows"): [r["rows"] for r in rules]})
        c = st.columns([3, 2])
        with c[0]:
            fig = go.Figure(go.Bar(x=table[t("dat_h_rows")], y=table[t("dat_h_rule")], orientation="h",
                                   marker_color="#d9822b", name=t("dat_h_rows"),
                                   hovertemplate="%{y}<br>%{x:,} " + t("dat_u_rows") + "<extra></extra>"))
            fig.update_yaxes(autorange="reversed")
            layout(fig, t("dat_q_rej_chart"), t("dat_axis_rows"), "", height=120 + 36 * len(rules))
            whole_ticks(fig, "x", table[t("dat_h_rows")].max())
            st.plotly_chart(fig, width="stretch", key=f"dat_rej_fig_{key}")
            download_png(fig, t("dat_q_rej_chart"), f"dat_rej_png_{key}")
        with c[1]:
            st.dataframe(table, hide_index=True, width="stretch")
            download_excel(table, t("dat_q_rej_chart"), f"dat_rej_xlsx_{key}")
    if q.get("warnings_by_rule"):
        st.caption(t("dat_q_kept_warn") + "；".join(f"{rule_label(r['rule'], q)} {n_fmt(r['rows'])}"
                                                     for r in q["warnings_by_rule"]))
    path = folder / importer.REJECTED
    if q["rows_rejected"] and path.is_file():
        with st.expander(t("dat_q_rej_rows", n=n_fmt(q["rows_rejected"]), shown=min(SHOWN_ROWS, q["rows_rejected"]))):
            rows = pd.read_csv(path, dtype=str, nrows=SHOWN_ROWS, encoding="utf-8-sig", keep_default_na=False)
            rows["rules"] = rows["rules"].map(lambda r: "；".join(rule_label(x, q) for x in r.split(" | ")))
            rows = rows.rename(columns={c: t(f"dat_h_{c}") for c in importer.REJECT_FIXED})
            st.dataframe(rows, hide_index=True, width="stretch")
            dl = st.columns(2)
            with dl[0]:
                st.download_button(f"⬇ {t('dat_dl_rejected')}", data=lambda: path.read_bytes(),
                                   file_name=f"{folder.name}-{importer.REJECTED}", mime="text/csv",
                                   key=f"dat_dl_rej_{key}")
            with dl[1]:
                download_excel(rows, t("dat_q_rej_file"), f"dat_rej_rows_{key}")


def hospitals_section(q: dict, key: str) -> None:
    st.markdown(f"#### {t('dat_q_hosp_title')}")
    h = pd.DataFrame(q["cases_by_hospital"])
    by_scheme = q["cases_by_scheme"]
    st.caption(" · ".join(f"{t(s)} {n_fmt(by_scheme.get(s, 0))} {t('dat_u_cases')}" for s in dip_model.SCHEMES))
    if h.empty:
        return
    if "name" not in h:
        h.insert(1, "name", h["hospital_id"])
    top = h.head(30)
    label = [n if n == i else f"{n}（{i}）" for n, i in zip(top["name"], top["hospital_id"])]
    fig = go.Figure([go.Bar(y=label, x=top[s], name=t(s), orientation="h",
                            hovertemplate="%{y}<br>" + t(s) + " %{x:,} " + t("dat_u_cases") + "<extra></extra>")
                     for s in dip_model.SCHEMES])
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_yaxes(autorange="reversed")
    title = t("dat_q_hosp_chart", n=len(top), total=len(h))
    layout(fig, title, t("dat_axis_cases"), "", height=140 + 24 * len(top))
    whole_ticks(fig, "x", top["cases"].max())
    st.plotly_chart(fig, width="stretch", key=f"dat_hosp_fig_{key}")
    c = st.columns(2)
    with c[0]:
        download_png(fig, t("dat_q_hosp_file"), f"dat_hosp_png_{key}")
    table = h.rename(columns={"hospital_id": t("col_hospital_id"), "name": t("col_name"), "cases": t("col_cases"),
                              "employee": t("employee"), "resident": t("resident"),
                              "total_cost": t("dat_h_total_cost"), "ffs_fund": t("dat_h_ffs_fund")})
    with c[1]:
        download_excel(table, t("dat_q_hosp_file"), f"dat_hosp_xlsx_{key}")
    with st.expander(t("dat_q_hosp_table", n=len(h))):
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={t("dat_h_total_cost"): st.column_config.NumberColumn(format="localized"),
                                    t("dat_h_ffs_fund"): st.column_config.NumberColumn(format="localized")})


def whole_ticks(fig: go.Figure, axis: str, top) -> None:
    """Counts get whole-number ticks (no 0.5 case on a small import)."""
    if top is not None and top == top and top < 8:
        fig.update_layout({f"{axis}axis": {"dtick": 1, "tickformat": "d"}})
    else:
        fig.update_layout({f"{axis}axis": {"tickformat": ",d"}})


def months_section(q: dict, key: str) -> None:
    m = pd.DataFrame(q["cases_by_month"])
    if m.empty:
        return
    st.markdown(f"#### {t('dat_q_month_title')}")
    fig = go.Figure([go.Bar(x=m["month"], y=m[s], name=t(s),
                            hovertemplate="%{x}<br>" + t(s) + " %{y:,} " + t("dat_u_cases") + "<extra></extra>")
                     for s in dip_model.SCHEMES])
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_xaxes(type="category")
    layout(fig, t("dat_q_month_chart"), t("dat_axis_month"), t("dat_axis_cases"), height=340)
    whole_ticks(fig, "y", (m["employee"] + m["resident"]).max())
    st.plotly_chart(fig, width="stretch", key=f"dat_month_fig_{key}")
    table = m.rename(columns={"month": t("dat_h_month"), "employee": t("employee"), "resident": t("resident")})
    c = st.columns(2)
    with c[0]:
        download_png(fig, t("dat_q_month_chart"), f"dat_month_png_{key}")
    with c[1]:
        download_excel(table, t("dat_q_month_chart"), f"dat_month_xlsx_{key}")


def outliers_section(q: dict, folder: Path, key: str) -> None:
    o = q["outliers"]
    path = folder / importer.OUTLIERS
    st.markdown(f"#### {t('dat_q_out_title')}")
    st.caption(t("dat_q_out_caption", high=f"{o['rule']['high']:g}", low=f"{o['rule']['low']:g}", n=o["rule"]["min_group_cases"],
                 nh=n_fmt(o["high"]), nl=n_fmt(o["low"]), g=n_fmt(o["groups_checked"])))
    if not (o["high"] + o["low"]) or not path.is_file():
        return
    with st.expander(t("dat_q_out_rows", shown=min(SHOWN_ROWS, o["high"] + o["low"]))):
        rows = pd.read_csv(path, dtype={"case_id": str, "hospital_id": str, "group": str}, nrows=SHOWN_ROWS,
                           encoding="utf-8-sig")
        rows["scheme"] = rows["scheme"].map(t)
        rows["kind"] = rows["kind"].map(lambda k: t(f"dat_out_{k}"))
        rows = rows.rename(columns={c: t(f"dat_h_out_{c}") for c in rows.columns})
        st.dataframe(rows, hide_index=True, width="stretch",
                     column_config={t("dat_h_out_ratio"): st.column_config.NumberColumn(format="%.2f")})
        c = st.columns(2)
        with c[0]:
            st.download_button(f"⬇ {t('dat_dl_outliers')}", data=lambda: path.read_bytes(),
                               file_name=f"{folder.name}-{importer.OUTLIERS}", mime="text/csv", key=f"dat_dl_out_{key}")
        with c[1]:
            download_excel(rows, t("dat_q_out_file"), f"dat_out_xlsx_{key}")


def files_table(q: dict, key: str) -> None:
    rows = []
    for f in q["files"]:
        rows.append({t("dat_h_file"): f["file"], t("dat_h_kind"): t(f"dat_kind_{f['kind']}"),
                     t("dat_h_encoding"): f["encoding"] or "—", t("dat_h_header_row"): f["header_row"],
                     t("dat_q_read"): f["rows_read"], t("dat_q_used"): f["rows_used"],
                     t("dat_q_rejected"): f["rows_rejected"],
                     t("dat_h_mapped"): "；".join(f"{s} → {col_label(v)}" for s, v in f["mapped"].items()),
                     t("dat_h_ignored"): "；".join(f["ignored"]) or "—"})
    table = pd.DataFrame(rows)
    st.dataframe(table, hide_index=True, width="stretch")
    download_excel(table, t("dat_q_files"), f"dat_files_xlsx_{key}")


# --- page --------------------------------------------------------------------------------------

def page() -> None:
    st.title(t("nav_data"))
    access.check("import")                   # importing and choosing datasets: the bureau's only
    st.caption(t("dat_caption"))
    tab_ds, tab_imp = st.tabs([t("dat_tab_dataset"), t("dat_tab_import")])
    with tab_ds:
        dataset_tab()
    with tab_imp:
        import_tab()


state.run_page(page)
