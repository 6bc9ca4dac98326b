"""Data-path benchmark: synth, import of a real-style export, and the embedded store.

    python scripts/benchmark_data.py [--cases 1100000] [--dir bench_data]

Each step runs in its own process so its peak memory is its own. Steps:
  synth   — `synth --cases N` writes the city;
  export  — (not timed) the city's cases rewritten as a 医保结算清单-style export: Chinese headers and
            scheme names, GB18030, as Excel on Chinese Windows saves it;
  import  — `dip_model.data.importer.run_import` of that export (with the hospitals, fund and catalogue files);
  store   — the imported folder loaded and saved into the embedded store;
  reopen  — the dataset read back from the store (no CSV parsing) and simulated."""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADERS = {"case_id": "结算ID", "patient_id": "人员编号", "hospital_id": "医疗机构编码", "scheme": "险种类型",
           "admit_date": "入院日期", "discharge_date": "出院日期", "dx_code": "主要诊断编码",
           "proc_codes": "主要手术及操作编码", "total_cost": "医疗总费用", "ffs_fund": "统筹基金支付",
           "self_pay": "个人自付", "age": "年龄"}
SCHEMES = {"employee": "职工基本医疗保险", "resident": "城乡居民基本医疗保险"}


def step(name: str, a) -> dict:
    base = Path(a.dir)
    city, export, imported, store = base / "data_city", base / "export_gbk.csv", base / "imported", base / "bench.duckdb"
    t0 = time.perf_counter()
    info: dict = {}
    if name == "synth":
        from dip_model.data.synth import write_city
        write_city(city, n_cases=a.cases, seed=0)
    elif name == "export":
        import pandas as pd
        df = pd.read_csv(city / "cases.csv", dtype=str, keep_default_na=False, engine="pyarrow")
        df["scheme"] = df["scheme"].map(SCHEMES)
        df.rename(columns=HEADERS).to_csv(export, index=False, encoding="gb18030")
    elif name == "import":
        from dip_model.data.importer import run_import
        r = run_import([export], imported, hospitals=city / "hospitals.csv", fund=city / "fund.csv",
                       catalogue=city / "catalogue.csv", force=True)
        info = {k: r.quality[k] for k in ("rows_read", "rows_used", "rows_rejected", "grouping_rate", "qc_fail_rate")}
        for extra in ("history.csv", "group_level_costs.csv", "aux.csv"):
            (imported / extra).write_bytes((city / extra).read_bytes())
    elif name == "store":
        import dip_model
        from dip_model.data.store import Store
        data = dip_model.load_data(imported)
        t0 = time.perf_counter()
        if store.exists():
            store.unlink()
        info = {"id": Store(store).save_dataset(data, "benchmark city")}
    elif name == "reopen":
        import dip_model
        from dip_model.data.store import Store
        s = Store(store)
        data = s.load_dataset(s.list_datasets()["id"].iloc[0])
        info["load_s"] = round(time.perf_counter() - t0, 2)
        t1 = time.perf_counter()
        res = dip_model.simulate(data, dip_model.load_params())
        info["simulate_s"] = round(time.perf_counter() - t1, 2)
        info["point_values"] = {k: v["settlement_point_value"] for k, v in res.summary["schemes"].items()}
    info["seconds"] = round(time.perf_counter() - t0, 2)
    info["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return info


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_100_000)
    ap.add_argument("--dir", default="bench_data")
    ap.add_argument("--step", default=None)
    a = ap.parse_args()
    if a.step:
        print(json.dumps(step(a.step, a), ensure_ascii=False))
        return
    Path(a.dir).mkdir(parents=True, exist_ok=True)
    for name in ("synth", "export", "import", "store", "reopen"):
        out = subprocess.run([sys.executable, __file__, "--step", name, "--cases", str(a.cases), "--dir", a.dir],
                             capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            print(f"{name}: failed\n{out.stderr[-2000:]}")
            return
        print(f"{name}: {out.stdout.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
