"""Session state of the dashboard: the dataset, the working scenario, the baseline, and their results.

The working scenario is a nested mapping of the parameters that differ from the built-in rule set
(`Params.user_values()`), kept in st.session_state under keys no widget owns, so it survives page changes.
Results are computed by dip_model; this module decides what to compute and caches nothing by hashing
frames: the DataSet caches its own stages by the parameters each depends on, and one shared Results per
dataset and parameter digest serves every session (the baseline is settled once, not on every redraw)."""
from __future__ import annotations

import base64
import copy
import json
import logging
import os
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

import dip_model

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = Path(os.environ.get("DIP_SAMPLE_DIR") or ROOT / "data" / "sample")   # env: for start-up timing
SAMPLE_CASES = 60_000
SAMPLE_SEED = 2024
BUILTIN = "__builtin__"          # the baseline that is the rule set as published

K_VALUES = "scenario_values"      # working copy: nested mapping of changed parameters
K_NAME = "scenario_name"          # name of the saved scenario it came from (None = unsaved)
K_BASELINE = "baseline_values"
K_BASELINE_NAME = "baseline_name"
K_SCHEME = "scheme_filter"        # "all" | "employee" | "resident"
K_UNIT = "money_unit"             # "yuan" | "wan"
K_STORE_ID = "dataset_store_id"   # a dataset in the embedded store (else dataset_path / the sample)
K_REV = "scenario_rev"            # bumped when the scenario is replaced whole: widgets re-seed from it
RAISE_ERRORS = "DIP_RAISE_ERRORS"  # env: "1" re-raises an unexpected error after the notice (the tests set it)
K_STASH = "published_stash"       # the published figures set aside while a city dataset is used
K_MODE = "dataset_mode"           # the mode of the dataset of the previous run ("city" | "hospital")
K_RUN = "_run_memo"               # what one script run looks up more than once (app.py resets it each run)
# the city's published figures a hospital folder is settled with (docs/data-contract.md, Hospital folders):
# facts of the year, not policy choices, so a scenario that does not give them takes the working scenario's
PUBLISHED = ("point_value.given.employee", "point_value.given.resident", "point_value.budget_monthly.employee",
             "point_value.budget_monthly.resident", "mean_cost_all", "budget_point_value", "coefficients.level")

log = logging.getLogger("dip.ui")


# --- dataset -------------------------------------------------------------------------------------

def ensure_sample() -> Path:
    """The dataset folder: DIP_DATA when set, else the bundled sample city, generated
    (deterministically) on first start if absent."""
    if os.environ.get("DIP_DATA"):
        return Path(os.environ["DIP_DATA"])
    if not (SAMPLE / "cases.csv").exists():
        from dip_model.data.synth import write_city
        write_city(SAMPLE, n_cases=SAMPLE_CASES, seed=SAMPLE_SEED)
    return SAMPLE


def folder_signature(path: str) -> str:
    """Names, sizes and modification times of a folder's files: a changed file is a new dataset. A folder
    that is not there has the signature "missing" (loading it then says so, as a data problem)."""
    if not Path(path).is_dir():
        return "missing"
    with os.scandir(path) as entries:
        files = sorted((e.name, e.stat()) for e in entries if e.is_file())
    return ";".join(f"{name}:{st.st_size}:{st.st_mtime_ns}" for name, st in files)


def per_run(key: str, build: Callable[[], Any]) -> Any:
    """build(), once per script run of app.py (a page run on its own: every time)."""
    memo = st.session_state.get(K_RUN)
    if memo is None:
        return build()
    if key not in memo:
        memo[key] = build()
    return memo[key]


@st.cache_resource(show_spinner=False, max_entries=4)
def _dataset(path: str, signature: str) -> dip_model.DataSet:
    return dip_model.load_data(path)


@st.cache_resource(show_spinner=False, max_entries=4)
def _stored_dataset(store_id: str) -> dip_model.DataSet:
    from dip_model.data.store import Store
    return Store.default().load_dataset(store_id)


@st.cache_resource(show_spinner=False, max_entries=2)
def _sample_dataset(path: str, signature: str) -> dip_model.DataSet:
    """The bundled sample through the embedded store: parsed once, read back from the store after."""
    from dip_model.data.store import Store
    return Store.default().open_folder(path, "样例城市（合成数据）")


def full_dataset(path: str | None = None) -> dip_model.DataSet:
    """One shared, read-only DataSet per folder version or stored dataset (never mutated; its stage
    caches live on it): every hospital's rows, held in the server's cache only. Pages use dataset()."""
    if path is None and st.session_state.get(K_STORE_ID):
        return _stored_dataset(st.session_state[K_STORE_ID])
    path = str(path or st.session_state.get("dataset_path") or ensure_sample())
    signature = per_run(f"signature:{path}", lambda: folder_signature(path))   # read once per run
    if Path(path) == SAMPLE and not os.environ.get("DIP_DATA"):
        return _sample_dataset(path, signature)
    return _dataset(path, signature)


def dataset(path: str | None = None) -> dip_model.DataSet:
    """The dataset as this session's user may hold it (dip_model.access.visible_dataset): the shared object
    itself for the bureau and the local user, a hospital user's own hospital folder, no case rows for a
    viewer."""
    from dip_model.access import visible_dataset
    from .access import user
    return visible_dataset(full_dataset(path), user())


def mode() -> str:
    """"hospital" for a hospital folder (no fund.csv: one or a few hospitals), else "city"; a dataset that
    cannot be read counts as "city" (its pages then show the data problem)."""
    try:
        return full_dataset().mode      # the server's dataset: a hospital user of a city is in a city run
    except dip_model.DipError:
        return "city"


# --- scenario values ---------------------------------------------------------------------------

def init_state() -> None:
    ss = st.session_state
    ss[K_RUN] = {}
    ss.setdefault("lang", "zh")
    ss.setdefault(K_VALUES, {})
    ss.setdefault(K_NAME, None)
    ss.setdefault(K_BASELINE, {})
    ss.setdefault(K_BASELINE_NAME, BUILTIN)
    ss.setdefault(K_SCHEME, "all")
    ss.setdefault(K_UNIT, "yuan")
    ss.setdefault(K_REV, 0)


def values() -> dict:
    return st.session_state[K_VALUES]


def get_value(path: str) -> Any:
    """The working value of a parameter (the scenario's, else the rule set's)."""
    node: Any = values()
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return builtin_params().get(path)
        node = node[part]
    return node


def set_value(path: str, value: Any) -> None:
    """Change one parameter of the working scenario (a value equal to the rule set's is dropped)."""
    vals = copy.deepcopy(values())
    _put(vals, path, value)
    st.session_state[K_VALUES] = _prune(vals)


def _put(vals: dict, path: str, value: Any) -> None:
    """Set one parameter of a nested mapping in place (the mappings on its path made as needed)."""
    parts = path.split(".")
    node = vals
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def set_values(new: dict) -> None:
    """Replace the working scenario whole (load, import, link); input widgets start afresh from it."""
    st.session_state[K_VALUES] = _prune(copy.deepcopy(new))
    st.session_state[K_REV] = st.session_state.get(K_REV, 0) + 1


def widget_key(*parts) -> str:
    """A widget key that changes when the scenario is replaced or the language switched."""
    return ":".join(str(p) for p in ("w", st.session_state.get(K_REV, 0), st.session_state.get("lang", "zh"), *parts))


def _lookup(vals: dict, path: str) -> tuple[bool, Any]:
    node: Any = vals
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _without(vals: dict, paths) -> dict:
    out = copy.deepcopy(vals)
    for path in paths:
        parts = path.split(".")
        node: Any = out
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            node.pop(parts[-1], None)
    return out             # set_values prunes what is left empty


def published_values(vals: dict | None = None) -> dict:
    """The published figures (PUBLISHED) a scenario gives, as {path: value}."""
    vals = values() if vals is None else vals
    return {p: v for p in PUBLISHED for found, v in [_lookup(vals, p)] if found}


def with_published(vals: dict) -> dict:
    """In a hospital folder, a scenario (the baseline, a saved one, the rule set) that does not give one of
    the city's published figures takes the working scenario's: without them a hospital folder cannot be
    settled, and they are facts of the year, not choices to compare. A city dataset: unchanged."""
    if mode() != "hospital":
        return vals
    out = copy.deepcopy(vals)
    for path, value in published_values().items():
        if not _lookup(out, path)[0]:
            _put(out, path, copy.deepcopy(value))
    return out


def follow_mode() -> str | None:
    """Called once per run by app.py: when the dataset changes from a hospital folder to a city (or back),
    the published figures leave the working scenario (kept aside) or come back to it, so a city is never
    settled with one hospital's published point values unawares. Returns "stashed" / "restored" when it
    moved them (for a notice), else None."""
    ss = st.session_state
    now, before = mode(), ss.get(K_MODE)
    ss[K_MODE] = now
    if before is None or before == now:
        return None
    if now == "city":
        given = published_values()
        if not given:
            return None
        ss[K_STASH] = given
        set_values(_without(values(), given))
        return "stashed"
    stash = ss.pop(K_STASH, None)
    if stash and not published_values():
        vals = copy.deepcopy(values())
        for path, value in stash.items():
            _put(vals, path, value)
        set_values(vals)
        return "restored"
    return None


def _prune(vals: dict) -> dict:
    """Keep only what differs from the built-in rule set."""
    try:
        return builtin_params().with_values(vals).user_values()
    except dip_model.ParameterError:
        return vals           # invalid values are kept so the user sees and fixes them


@st.cache_resource(show_spinner=False)
def builtin_params() -> dip_model.Params:
    return dip_model.load_params()


def _validated(vals: dict) -> tuple[dip_model.Params | None, str | None]:
    try:
        return builtin_params().with_values(vals), None
    except dip_model.DipError as err:
        return None, err.message


@st.cache_resource(show_spinner=False, max_entries=64)
def _validated_shared(_vals: dict, text: str) -> tuple[dip_model.Params | None, str | None]:
    """_validated, one shared (read-only) Params per scenario's values, keyed by their canonical JSON."""
    return _validated(_vals)


def values_key(vals: dict) -> str | None:
    """Canonical JSON of a scenario's values (types of anything that is not JSON named), None when it
    has none (e.g. keys of mixed types)."""
    try:
        return json.dumps(vals, sort_keys=True, ensure_ascii=False, allow_nan=True,
                          default=lambda o: f"{type(o).__name__}:{o!r}")
    except (TypeError, ValueError):
        return None


def params_or_error(vals: dict | None = None) -> tuple[dip_model.Params | None, str | None]:
    """The validated parameters of a scenario, or the message naming the parameter at fault (validated
    once per distinct values in the server: pages ask for them many times per run)."""
    vals = values() if vals is None else vals
    text = values_key(vals)
    return _validated(vals) if text is None else _validated_shared(vals, text)


def error_path(message: str | None) -> str | None:
    """The parameter a validation message names (its `path`, or 'parameter 'x.y' …' in the English text)."""
    path = getattr(message, "values", {}).get("path")
    if path is not None:
        return str(path)
    if message and "'" in message:
        return message.split("'")[1]
    return None


# --- results -----------------------------------------------------------------------------------

def full_results(vals: dict | None = None) -> tuple[dip_model.Results | None, str | None]:
    """Simulate the working scenario (or `vals`) on the whole dataset; (results, error message). A data
    or rule problem is the message; anything else is a bug and goes up to the page guard (run_page).
    Only for what settles the city again before it is filtered (the forecast, the outlook): pages use
    results()."""
    p, err = params_or_error(None if vals is None else with_published(vals))
    if p is None:
        return None, err
    try:
        return settled(full_dataset(), p), None
    except dip_model.DipError as e:
        return None, e.message


def data_key(data: dip_model.DataSet) -> str:
    """A dataset's identity for caches: its source, content hash and object (a DataSet is cached whole,
    so a reloaded folder is a new object even when a hash is missing)."""
    return f"{data.source}|{data.version}|{id(data)}"


@st.cache_resource(show_spinner=False, max_entries=16)
def _settled(_data: dip_model.DataSet, data_version: str, _params: dip_model.Params,
             params_digest: str) -> dip_model.Results:
    return dip_model.simulate(_data, _params)


def settled(data: dip_model.DataSet, p: dip_model.Params) -> dip_model.Results:
    """dip_model.simulate(data, p), one shared Results per dataset and parameter digest for every session
    (read-only: the analyses and access views memoize on it, never change it). A run refused with a
    DipError is not kept."""
    return _settled(data, data_key(data), p, p.digest())


def results(vals: dict | None = None) -> tuple[dip_model.Results | None, str | None]:
    """full_results() as this session's user may hold them (dip_model.access.visible_results): the same
    object for the bureau and the local user."""
    from dip_model.access import visible_results
    from .access import user
    res, err = full_results(vals)
    return (None, err) if res is None else (visible_results(res, user()), None)


def prime_projection(res: dip_model.Results) -> None:
    """The presentation's fund path (dip_model.report.Scenario) projects the run on its own dataset; a
    viewer's view has no case rows to project, so the city's projection (years and hospital-level rows,
    which a viewer may hold) is computed on the whole dataset and left in the view's cache."""
    from dip_model.analysis.projection import project
    data = full_dataset()
    if res.data is data or res.data.mode != "city":
        return
    digest = res.params.digest()
    try:
        res.data.cached("projection", digest,
                        lambda: data.cached("projection", digest, lambda: project(data, res.params)))
    except dip_model.DipError:
        pass                       # the presentation then leaves the fund path out, as on the city


def results_with_spinner(vals: dict | None = None) -> tuple[dip_model.Results | None, str | None]:
    """results(), with a spinner while it runs."""
    from .i18n import t
    with st.spinner(t("loading")):
        return results(vals)


def baseline_values() -> dict:
    return st.session_state[K_BASELINE]


def same_as_baseline() -> bool:
    """Whether the working scenario is the baseline (then there is nothing to compare)."""
    return values() == with_published(baseline_values())


def baseline_results() -> tuple[dip_model.Results | None, str | None]:
    return results(baseline_values())


def baseline_to_compare() -> tuple[dip_model.Results | None, str | None]:
    """The baseline's results for the changes a page shows against it: (None, None) when the working
    scenario is the baseline (nothing to compare); a data or rule problem as its message."""
    if same_as_baseline():
        return None, None
    return baseline_results()


def compared_baseline(warning: str) -> dip_model.Results | None:
    """baseline_to_compare() with a spinner; a problem computing the baseline shows as the page text
    `warning` (which has an {err}), and there are no changes to show."""
    from .i18n import t
    with st.spinner(t("loading")):
        base, err = baseline_to_compare()
    if err:
        st.warning(t(warning, err=err))
    return base


def results_and_baseline() -> tuple[dip_model.Results | None, dip_model.Results | None, str | None, str | None]:
    """(results, baseline results, error, baseline error); data and rule problems as messages."""
    res, err = results()
    if err:
        return None, None, err, None
    base, berr = baseline_results()
    return res, base, None, berr


# --- shareable link ----------------------------------------------------------------------------

def encode_values(vals: dict) -> str:
    raw = json.dumps(vals, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode_values(text: str) -> dict:
    pad = "=" * (-len(text) % 4)
    vals = json.loads(zlib.decompress(base64.urlsafe_b64decode(text + pad)).decode())
    if not isinstance(vals, dict):
        raise ValueError("not a mapping")
    return vals


K_HOSPITAL_PICKED = "hv_hospital_id"     # ui.hospital's pick, which ?hospital= sets
K_READ_ONLY = "scenario_read_only"      # the linked scenario is someone else's: saving it needs a new name


def check_link_hospital() -> None:
    """?hospital=H on every run: AccessDenied when this session's user may not see H, else H is picked."""
    from dip_model.access import check_hospital
    from .access import user
    hid = st.query_params.get("hospital")
    if hid:
        check_hospital(user(), hid)
        st.session_state[K_HOSPITAL_PICKED] = hid


def _linked_scenario(name: str) -> dict | None:
    """The stored scenario a link names, when there is one: AccessDenied when the user may not read it
    (neither theirs nor published); marked read-only when they may not edit it."""
    from dip_model.access import can_edit_scenario, require_scenario_read
    from dip_model.data.store import Store, StoreError
    from .access import user
    store = Store.default()
    try:
        info = require_scenario_read(store, user(), name)
    except StoreError:
        return None                       # a name of an unsaved scenario (the link's label only)
    st.session_state[K_READ_ONLY] = not can_edit_scenario(store, user(), name)
    return info


def check_own_values(vals: dict) -> None:
    """AccessDenied when values a user brings (a link, an imported file) set what-if figures (hospital_data:
    assessment scores, violation amounts) of a hospital the user may not see: the city's point value would
    then move with that hospital's own figures."""
    from dip_model.access import check_hospital
    from .access import user
    for per_hospital in (vals.get("hospital_data") or {}).values():
        for hid in per_hospital if isinstance(per_hospital, dict) else ():
            check_hospital(user(), str(hid))


def restore_from_query() -> str | None:
    """On a fresh session, take the scenario from the link (?p=…); returns an error message if unusable.
    AccessDenied for a ?hospital= or a named scenario the user may not see; a viewer opens only a stored
    scenario it may read (its values from the store, never the link's)."""
    from .access import user
    check_link_hospital()
    if st.session_state.get("_restored"):
        return None
    st.session_state["_restored"] = True
    text = st.query_params.get("p")
    name = st.query_params.get("name")
    info = _linked_scenario(name) if name else None
    if user().role.kind == "viewer":
        if text and info is None:
            from .access import Refused
            from .i18n import t
            raise Refused(t("acc_viewer_link"))
        if info is not None:
            set_values(info["values"])
            st.session_state[K_NAME] = name
        return None
    if not text:
        return None
    try:
        vals = decode_values(text)
    except (ValueError, zlib.error):       # not base64, not zlib, not JSON, not a mapping: a broken link
        return "link"
    _, err = params_or_error(vals)
    if err:
        return err
    if info is None:
        check_own_values(vals)
    set_values(vals)
    if st.query_params.get("name"):
        st.session_state[K_NAME] = st.query_params.get("name")
    return None


def sync_query() -> None:
    """Write the working scenario into the URL, so the address bar is always a shareable link."""
    vals = values()
    want = {"p": encode_values(vals)} if vals else {}
    if st.session_state.get(K_NAME):
        want["name"] = st.session_state[K_NAME]
    if dict(st.query_params) != want:
        st.query_params.from_dict(want)


def raise_errors() -> bool:
    """Whether an unexpected error is raised again after its notice (DIP_RAISE_ERRORS=1: the tests)."""
    return os.environ.get(RAISE_ERRORS) == "1"


def run_page(page: Callable[[], object]) -> None:
    """Draw a page, or one section of it in its place. A data or rule problem (DipError) shows as its
    message in the page's language. Anything else is a bug: the user sees a short notice, never a
    traceback; the traceback goes to the log ("dip.ui"); with DIP_RAISE_ERRORS=1 it is raised again.
    Streamlit's stop and rerun pass through (they are not Exceptions). The one place that catches
    what it did not expect: every page runs its body through it, a page drawn in sections each
    section, and app.py the page it runs (for what a page does outside its body); an error is
    reported once, by the innermost guard."""
    from ui.i18n import t, tr
    from .access import guard_page
    guard_page(sys._getframe(1).f_globals.get("__file__") or "")     # a page this role may not open: refused
    try:
        page()
    except dip_model.DipError as err:
        st.error(tr(err))
    except Exception as exc:
        if not getattr(exc, "_dip_reported", False):       # a section's guard inside a page's already did
            log.exception("unexpected error on a page (%s)", type(exc).__name__)
            st.error(t("unexpected", kind=type(exc).__name__))
            setattr(exc, "_dip_reported", True)
        if raise_errors():
            raise
