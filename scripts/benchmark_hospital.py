"""Benchmark of the hospital views (病种盈亏, 偏差预警, 特殊病例候选, 科室 / 医生, CMI与结构) for one large 3A
hospital of a synthetic city, and of the `groups` command.

    python scripts/benchmark_hospital.py [--cases 400000] [--seed 0] [--dir bench_data] [--repeat 5]

`synth --cases 400000 --seed 0` gives a city whose largest hospital (H001, 3A) has 77,250 discharges. The
script adds department and doctor columns to the cases (from the diagnosis chapter and a few hundred
doctors, seeded), then reports for that hospital:
- each view after a parameter-only change (budget, bands, coefficients, assessment: a new Results, the
  cases not re-scored), and after a case-rule change (every case re-scored);
- the `groups` command (python -m dip_model groups … --by department, with and without --xlsx, a fresh
  process each time) on a hospital folder of its own cases (no fund.csv, no history.csv, the city's
  published figures as parameters), and on the whole city folder;
- the hospital pages themselves (年终预估, 病种盈亏, 偏差预警, 科室与医生, CMI与结构) on that hospital folder: each
  page redrawn by Streamlit's AppTest after a parameter change (a new sharing rate, level coefficient,
  assessment share or budget growth each time, so no cached run is reused), app.py and the page, as the
  server runs them on a widget change; the first draw of each page (the folder read, the cases scored)
  is reported apart.

    --only views|groups|pages   one part only (default: all)"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dip_model  # noqa: E402
from dip_model.analysis.hospital_margins import group_margins, margins_by  # noqa: E402
from dip_model.analysis.hospital_mix import mix_profile  # noqa: E402
from dip_model.analysis.hospital_warnings import deviation_warnings, special_candidates  # noqa: E402


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def add_wards(cases, seed: int) -> None:
    """department from the diagnosis chapter (first letter), doctor: one of ~300, seeded."""
    rng = np.random.default_rng(seed)
    dx = cases["dx_code"].fillna("?").astype(str).str[:1]
    cases["department"] = ("科室" + dx).to_numpy(object)
    cases["doctor"] = np.char.add("医生", rng.integers(1, 300, len(cases)).astype(str)).astype(object)


VIEWS = {
    "group margins (病种盈亏)": lambda res, h: group_margins(res, h),
    "deviation warnings (偏差预警)": lambda res, h: deviation_warnings(res, h),
    "special-case candidates (特殊病例候选)": lambda res, h: special_candidates(res, h),
    "by department (科室)": lambda res, h: margins_by(res, h, "department"),
    "by doctor (医生)": lambda res, h: margins_by(res, h, "doctor"),
    "CMI and mix (CMI与结构)": lambda res, h: mix_profile(res, h),
}
CHANGES = [
    {"budget": {"growth_rate": 0.03}},
    {"sharing": {"employee": {"overspend": [{"to": 1.1, "rate": 0.6}, {"to": 1.3, "rate": 0.4}]}}},
    {"coefficients": {"level": {"3A": 0.95, "2A": 0.75}, "combine": "add"}},
    {"assessment_share": 0.1},
]


def view_times(data, hid: str, params_list) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in VIEWS}
    times["all views"] = []
    for p in params_list:
        res = dip_model.simulate(data, p)
        total = 0.0
        for name, fn in VIEWS.items():
            _, t = timed(lambda: fn(res, hid))
            times[name].append(t)
            total += t
        times["all views"].append(total)
    return times


def hospital_folder(city: Path, out: Path, hid: str, res) -> tuple[Path, Path]:
    """The hospital's own cases as a hospital folder (README "Hospital folders": no fund.csv, no
    history.csv), and a parameter file with the city's published figures: the settlement and budget point
    values, M and the hospital's level coefficient. (readmission_elsewhere is not derived here: the timing
    does not depend on it.)"""
    import pandas as pd
    out.mkdir(parents=True, exist_ok=True)
    cases = pd.read_csv(city / "cases.csv", dtype=str, keep_default_na=False)
    cases[cases["hospital_id"] == hid].to_csv(out / "cases.csv", index=False)
    hosp = pd.read_csv(city / "hospitals.csv", dtype=str, keep_default_na=False)
    hosp[hosp["hospital_id"] == hid].to_csv(out / "hospitals.csv", index=False)
    for name in ("catalogue.csv", "group_level_costs.csv", "aux.csv"):
        shutil.copy(city / name, out / name)
    schemes = res.summary["schemes"]
    mine = res.hospitals[res.hospitals["hospital_id"] == hid]
    published = {"point_value": {"given": {s: v["settlement_point_value"] for s, v in schemes.items()}},
                 "budget_point_value": {s: v["budget_point_value"] for s, v in schemes.items()},
                 "mean_cost_all": float(res.stage.ref.mean_cost),
                 "coefficients": {"level": {str(c): float(k) for c, k in zip(mine["category"], mine["level_coef"])}}}
    params = out.parent / f"{out.name}.yaml"
    params.write_text(yaml.safe_dump(published, allow_unicode=True), encoding="utf-8")
    return out, params


PAGES = {"hospital_outlook": "年终预估", "hospital_margins": "病种盈亏", "hospital_warnings": "偏差预警",
         "hospital_breakdown": "科室与医生", "hospital_mix": "CMI与结构"}


def page_change(i: int) -> dict:
    """The i-th parameter change of the page timings: a sharing rate, a level coefficient, the assessment
    share or the budget growth, each time a value not used before (a new parameter digest: no cached
    Results is reused)."""
    k = i // 4 + 1
    return [{"sharing": {"employee": {"overspend": [{"to": 1.1, "rate": round(0.7 - 0.01 * k, 4)},
                                                    {"to": 1.2, "rate": 0.5}, {"to": 1.3, "rate": 0.4},
                                                    {"to": 1.4, "rate": 0.3}]}}},
            {"coefficients": {"level": {"3A": round(1.0 - 0.005 * k, 4)}}},
            {"assessment_share": round(0.08 + 0.002 * k, 4)},
            {"budget": {"growth_rate": round(0.03 + 0.001 * k, 4)}}][i % 4]


def page_times(folder: Path, params_file: Path, changes: int) -> tuple[float, dict[str, tuple[float, list[float]]]]:
    """(the app's first run, page -> (its first draw, its redraws after each parameter change)), in seconds,
    by AppTest on the hospital folder with its published figures. The first run reads the folder and
    scores the cases (总览); the datasets and runs are then in the server's caches, as for every session.
    AppTest resets Streamlit's legacy pages-folder flag before every run, so a rerun would run the page file
    alone; keeping the flag as the server has it after st.navigation makes every run app.py and the page, as
    a widget change does in the browser."""
    import copy
    import os

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest, app_test

    class _Pages(PagesManager):
        pass
    app_test.PagesManager = _Pages          # AppTest resets _Pages' flag, the runner reads PagesManager's
    os.environ["DIP_DATA"] = str(folder)
    os.environ["DIP_RAISE_ERRORS"] = "1"
    published = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    out = {}
    start = 0.0
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.session_state["scenario_values"] = published
        t0 = time.perf_counter()
        at.run()
        start = start or time.perf_counter() - t0
        t0 = time.perf_counter()
        at.switch_page(f"pages/{page}.py").run()
        first = time.perf_counter() - t0
        redraws = []
        for i in range(changes):
            vals = copy.deepcopy(published)
            for key, value in page_change(i).items():
                vals[key] = {**vals.get(key, {}), **value} if isinstance(value, dict) else value
            at.session_state["scenario_values"] = vals
            t0 = time.perf_counter()
            at.run()
            redraws.append(time.perf_counter() - t0)
            if at.exception or at.error or not at.metric:
                raise SystemExit(f"{page}: {[e.value for e in at.exception or at.error]}")
        out[page] = (first, redraws)
    return start, out


def command_time(data_dir: Path, params: Path | None, hid: str, out: Path, repeat: int, extra) -> list[float]:
    cmd = [sys.executable, "-m", "dip_model", "groups", "--data", str(data_dir), "--hospital", hid,
           "--by", "department", "--out", str(out), *extra]
    if params is not None:
        cmd += ["--params", str(params)]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if done.returncode:
            raise SystemExit(done.stderr)
    return times


def fmt(ts: list[float]) -> str:
    return f"median {statistics.median(ts) * 1000:,.1f} ms, worst {max(ts) * 1000:,.1f} ms over {len(ts)}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=400_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dir", default="bench_data")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", choices=("views", "groups", "pages"), default=None)
    a = ap.parse_args()
    folder = Path(a.dir) / f"city_{a.cases}_{a.seed}"
    if not (folder / "cases.csv").exists():
        from dip_model.data.synth import write_city
        _, t = timed(lambda: write_city(folder, n_cases=a.cases, seed=a.seed))
        print(f"synth {a.cases:,} cases: {t:.1f} s")
    data, t = timed(lambda: dip_model.load_data(folder))
    add_wards(data.cases, a.seed)
    base = dip_model.load_params()
    res, t_sim = timed(lambda: dip_model.simulate(data, base))
    h = res.hospitals
    big = h[h["category"] == "3A"].groupby("hospital_id")["cases"].sum().sort_values(ascending=False)
    hid, n = str(big.index[0]), int(big.iloc[0])
    print(f"city: {len(data.cases):,} cases, {len(data.hospitals)} hospitals (load {t:.2f} s, first simulate "
          f"{t_sim:.2f} s); hospital {hid} (3A): {n:,} cases")

    if a.only in (None, "views"):
        analyses(data, hid, base, a.repeat)
    if a.only == "views":
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        city_wards = tmp_dir / "city"
        shutil.copytree(folder, city_wards, ignore=shutil.ignore_patterns("cases.csv"))
        import pandas as pd
        cases = pd.read_csv(folder / "cases.csv", dtype=str, keep_default_na=False)
        cases["department"], cases["doctor"] = data.cases["department"].to_numpy(), data.cases["doctor"].to_numpy()
        cases.to_csv(city_wards / "cases.csv", index=False)
        own, params = hospital_folder(city_wards, tmp_dir / "hospital", hid, res)
        if a.only in (None, "groups"):
            for extra in ((), ("--xlsx",)):
                ts = command_time(own, params, hid, tmp_dir / "out_h", a.repeat, extra)
                print(f"`{' '.join(('groups --by department',) + extra)}` on the hospital's folder ({n:,} cases, "
                      f"no fund.csv), a fresh process each time: {fmt(ts)}")
            ts = command_time(city_wards, None, hid, tmp_dir / "out_c", max(1, a.repeat // 2), ())
            print(f"`groups --by department` on the whole city folder ({len(data.cases):,} cases, loading included), "
                  f"a fresh process each time: {fmt(ts)}")
        if a.only in (None, "pages"):
            os.environ.setdefault("DIP_STORE", str(tmp_dir / "dip.duckdb"))     # never the user's store
            start, times = page_times(own, params, 4 * a.repeat)
            print(f"the hospital pages on the hospital's folder ({n:,} cases), AppTest, app.py and the page; the "
                  f"app's first run (reading the folder, scoring the cases, 总览): {start:.2f} s")
            for page, (first_t, ts) in times.items():
                print(f"  {PAGES[page]} ({page}): first draw {first_t:.2f} s; after a parameter change {fmt(ts)}")
            every = [t for _, ts in times.values() for t in ts]
            print(f"  every hospital page after a parameter change: {fmt(every)}")


def analyses(data, hid: str, base, repeat: int) -> None:
    """The analyses behind the views, without the pages (a new Results after each change)."""
    first = view_times(data, hid, [base])
    print("first computation of each view (the hospital's case arrays selected once per case stage):")
    for name, ts in first.items():
        print(f"  {name}: {ts[0] * 1000:,.1f} ms")
    params_list = [base.with_values(ch) for ch in CHANGES] * repeat
    sims = [timed(lambda: dip_model.simulate(data, p))[1] for p in params_list]
    print(f"parameter-only re-run of the engine: {fmt(sims)}")
    print("each view after a parameter-only change (a new Results):")
    for name, ts in view_times(data, hid, params_list).items():
        print(f"  {name}: {fmt(ts)}")
    case_params = [base.with_values({"cases": {"high_ratio": r}}) for r in (2.2, 2.5, 1.8)]
    re_scored = []
    for p in case_params:
        _, ts = timed(lambda: dip_model.simulate(data, p))
        re_scored.append(ts)
    print(f"case-rule change, engine re-run (every case re-scored): {fmt(re_scored)}")
    print("each view after a case-rule change:")
    for name, ts in view_times(data, hid, [base.with_values({"cases": {"high_ratio": r}})
                                           for r in (2.3, 2.6, 1.9)]).items():
        print(f"  {name}: {fmt(ts)}")


if __name__ == "__main__":
    main()
