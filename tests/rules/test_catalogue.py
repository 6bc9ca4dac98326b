"""A-15 … A-17, A-19, A-22: the catalogue and the reference figures built from history.csv."""
from __future__ import annotations

import pytest

from citykit import COMPUTED_LEVELS, case, fund_row, hospital, run

approx = lambda x: pytest.approx(x, rel=1e-9)  # noqa: E731

FROM_HISTORY = {"mean_cost_all": None, "budget_point_value": None}   # M and PV_b from history


def hist(cid, hid, cost, date="2023-06-01", scheme="employee", **kw):
    return {"case_id": cid, "hospital_id": hid, "scheme": scheme, "discharge_date": date,
            "total_cost": cost, "ffs_fund": cost / 2, **kw}


def reference(tmp_path, hospitals, cases, changes=None, **tables):
    """The reference figures the engine settled with (catalogue, M, level costs): Results.stage.ref."""
    res = run(tmp_path, hospitals, cases, {**FROM_HISTORY, **(changes or {})}, fund=[fund_row("employee")], **tables)
    return res, res.stage.ref


# --- A-15 groups and A-16 RW from history with dx_code / proc_codes ------------------------------

def grouping_history():
    rows = []
    # K80.1 with procedures 51.23 and 54.51 (written in both orders): 15 cases → a core group.
    # 10 at H1 costing 12 000, 5 at H2 costing 9 000: mean (120 000 + 45 000) / 15 = 11 000
    for i in range(15):
        procs = "51.23;54.51" if i % 2 else "54.51;51.23"
        rows.append(hist(f"A{i:02d}", "H1" if i < 10 else "H2", 12000 if i < 10 else 9000,
                         dx_code="K80.1", proc_codes=procs))
    # K80.1 without procedure: 14 cases (< 15) → aggregated to K80 × conservative, 5 000 each
    rows += [hist(f"B{i:02d}", "H1", 5000, dx_code="K80.1") for i in range(14)]
    # K80.2 without procedure: 1 case → the same comprehensive group K80 × conservative
    rows.append(hist("C00", "H2", 4000, dx_code="K80.2"))
    # J18.0 with 96.04 (ICD-9-CM-3 92–99: therapeutic): 2 cases → J18 × therapeutic
    rows += [hist(f"D{i}", "H2", 8500, dx_code="J18.0", proc_codes="96.04") for i in range(2)]
    return rows
    # M = (165 000 + 70 000 + 4 000 + 17 000) / 32 = 256 000 / 32 = 8 000


GROUP_HOSPITALS = [hospital("H1", "3A", 3), hospital("H2", "2A", 2)]


def test_core_groups_need_fifteen_cases_the_rest_are_comprehensive(tmp_path):
    cases = [case("N1", "H1", None, 9000, dx_code="K80.1", proc_codes="54.51;51.23")]
    _, ref = reference(tmp_path, GROUP_HOSPITALS, cases, catalogue=None, level_costs=None,
                       history=grouping_history())
    cat = ref.catalogue.set_index("group_id")
    assert ref.mean_cost == approx(8000)                          # 256 000 / 32
    assert len(cat) == 3
    core = cat.index[cat["group_type"] == "core"].tolist()
    assert len(core) == 1
    a = cat.loc[core[0]]
    assert "K80.1" in core[0] and "51.23" in core[0] and "54.51" in core[0]
    assert a["n_history"] == 15
    assert a["rw"] == approx(1375)                                # 11 000 / 8 000 × 1 000
    comp = cat[cat["group_type"] == "comprehensive"]
    k80 = comp[comp.index.str.startswith("K80") & comp.index.str.contains("conservative")]
    j18 = comp[comp.index.str.startswith("J18") & comp.index.str.contains("therapeutic")]
    assert len(k80) == 1 and len(j18) == 1
    assert k80["n_history"].iloc[0] == 15                         # 14 K80.1 + 1 K80.2, still comprehensive
    assert k80["rw"].iloc[0] == approx(74000 / 15 / 8000 * 1000)  # 4 933.33 / 8 000 × 1 000 = 616.67
    assert j18["rw"].iloc[0] == approx(1062.5)                   # 8 500 / 8 000 × 1 000


def test_core_threshold_is_a_parameter(tmp_path):
    # with core_min_cases = 14, K80.1 without procedure (14 cases) becomes a core group too
    cases = [case("N1", "H1", None, 9000, dx_code="K80.1")]
    _, ref = reference(tmp_path, GROUP_HOSPITALS, cases, {"catalogue": {"core_min_cases": 14}},
                       catalogue=None, level_costs=None, history=grouping_history())
    cat = ref.catalogue
    core = cat[cat["group_type"] == "core"]
    assert len(core) == 2
    plain = core[core["n_history"] == 14]
    assert plain["rw"].iloc[0] == approx(625)                     # 5 000 / 8 000 × 1 000


def test_current_cases_find_their_core_or_comprehensive_group(tmp_path):
    cases = [case("N1", "H1", None, 9000, dx_code="K80.1", proc_codes="51.23;54.51"),
             case("N2", "H1", None, 4000, dx_code="K80.1"),            # → K80 × conservative
             case("N3", "H1", None, 4000, dx_code="K80.3"),            # → K80 × conservative too
             case("N4", "H1", None, 4000, dx_code="Z99.9")]            # no group → unmatched
    res = run(tmp_path, GROUP_HOSPITALS, cases, FROM_HISTORY, catalogue=None, level_costs=None,
              history=grouping_history(), fund=[fund_row("employee")])
    c = res.cases.set_index("case_id")
    assert "51.23" in c.loc["N1", "group_id"]
    assert c.loc["N2", "group_id"] == c.loc["N3", "group_id"]
    assert c.loc["N2", "group_id"].startswith("K80") and "51.23" not in c.loc["N2", "group_id"]
    assert c.loc["N4", "case_type"] == "unmatched"
    # N4: unmatched score = 4 000 / M × 1 000 × 0.8 with M = 8 000 from history = 400
    assert c.loc["N4", "raw_score"] == approx(400)
    # N1 normal in its core group: RW = 1 375 (R = 9 000 / 12 000 = 0.75 against H1's 3A cost)
    assert c.loc["N1", "raw_score"] == approx(1375)
    assert c.loc["N1", "ratio"] == approx(0.75)


def test_monitored_category_by_coefficient_of_variation(tmp_path):
    rows = []
    # core key X: 14 cases at 1 000 and one at 100 000: mean 7 600, population SD ≈ 24 695,
    # CV ≈ 3.25 (sample SD gives 3.36) > 1.0 → monitored
    rows += [hist(f"X{i:02d}", "H1", 1000 if i else 100000, dx_code="A01.0") for i in range(15)]
    # core key Y: 15 cases at 5 000: CV 0 → normal
    rows += [hist(f"Y{i:02d}", "H1", 5000, dx_code="B02.0") for i in range(15)]
    # comprehensive Z: 100, 100, 100 000 (CV ≈ 1.41, sample 1.73) — only core groups are monitored
    rows += [hist(f"Z{i}", "H1", c, dx_code="C03.0") for i, c in enumerate((100, 100, 100000))]
    cases = [case("N1", "H1", None, 5000, dx_code="B02.0")]
    _, ref = reference(tmp_path, GROUP_HOSPITALS, cases, catalogue=None, level_costs=None, history=rows)
    cat = ref.catalogue
    by_dx = {g[:3]: row for g, row in zip(cat["group_id"], cat.to_dict("records"))}
    assert by_dx["A01"]["group_type"] == "core" and by_dx["A01"]["category"] == "monitored"
    assert by_dx["B02"]["category"] == "normal"
    assert by_dx["C03"]["group_type"] == "comprehensive" and by_dx["C03"]["category"] == "normal"
    # cv_monitor = 5: CV 3.25 is under it → normal
    _, ref = reference(tmp_path / "b", GROUP_HOSPITALS, cases, {"catalogue": {"cv_monitor": 5.0}},
                       catalogue=None, level_costs=None, history=rows)
    assert (ref.catalogue["category"] == "normal").all()


# --- A-16 policy factor ---------------------------------------------------------------------------

def test_policy_factor_from_catalogue_and_parameter_override(tmp_path):
    catalogue = [{"group_id": "G1", "group_type": "core", "rw": 1000},
                 {"group_id": "G2", "group_type": "core", "rw": 500, "policy_factor": 1.1}]
    cases = [case("N1", "H1", "G2", 4000)]
    ref = run(tmp_path, GROUP_HOSPITALS, cases, catalogue=catalogue).stage.ref
    cat = ref.catalogue.set_index("group_id")
    assert cat.loc["G2", "rw_eff"] == approx(550)                 # 500 × 1.1
    assert cat.loc["G1", "rw_eff"] == approx(1000)                # default factor 1
    ref = run(tmp_path / "b", GROUP_HOSPITALS, cases, {"catalogue": {"policy_factors": {"G2": 1.3, "G1": 0.9}}},
              catalogue=catalogue).stage.ref
    cat = ref.catalogue.set_index("group_id")
    assert cat.loc["G2", "rw_eff"] == approx(650)                 # 500 × 1.3 (parameter wins)
    assert cat.loc["G1", "rw_eff"] == approx(900)                 # 1 000 × 0.9


# --- A-19 prior-year level costs and A-22 level coefficients from history -------------------------

CATALOGUE = [{"group_id": "G1", "group_type": "core", "rw": 1000},
             {"group_id": "G2", "group_type": "core", "rw": 500}]
LEVEL_HOSPITALS = [hospital("H1", "3A", 3), hospital("H2", "2A", 2),
                   # H3 became 3B this year; in the prior year it was 2A
                   hospital("H3", "3B", 3, level_change_date="2024-03-01", prev_level="2A")]


def level_history():
    return [hist("OLD", "H1", 50000, date="2022-06-01", group_id="G1"),   # not the prior year: ignored
            hist("a1", "H1", 10000, group_id="G1"), hist("a2", "H1", 10000, group_id="G1"),
            hist("a3", "H1", 4000, group_id="G2"), hist("a4", "H1", 4000, group_id="G2"),
            hist("b1", "H2", 8000, group_id="G1"),
            hist("b2", "H2", 3000, group_id="G2"), hist("b3", "H2", 3000, group_id="G2"),
            hist("c1", "H3", 3000, group_id="G2")]                        # counted as 2A (prev_level)
    # prior year (2023): G1@3A = 10 000 (2 cases), G2@3A = 4 000 (2), G1@2A = 8 000 (1),
    #                    G2@2A = (3 000 + 3 000 + 3 000) / 3 = 3 000 (3)


def test_prior_year_level_costs_from_history(tmp_path):
    cases = [case("N1", "H2", "G1", 6000)]
    _, ref = reference(tmp_path, LEVEL_HOSPITALS, cases, {"mean_cost_all": 10000, "budget_point_value": 10},
                       catalogue=CATALOGUE, level_costs=None, history=level_history())
    lc = {(r["group_id"], r["category"]): r["mean_cost"] for r in ref.level_costs.to_dict("records")}
    assert lc[("G1", "3A")] == approx(10000)      # the 2022 case at 50 000 is not the prior year
    assert lc[("G2", "3A")] == approx(4000)
    assert lc[("G1", "2A")] == approx(8000)
    assert lc[("G2", "2A")] == approx(3000)       # H3 counted in its prior-year category 2A
    assert ("G2", "3B") not in lc


def test_deviation_ratio_uses_level_cost_from_history(tmp_path):
    cases = [case("N1", "H2", "G1", 6000), case("N2", "H1", "G1", 6000)]
    res = run(tmp_path, LEVEL_HOSPITALS, cases, {"budget_point_value": 10},
              catalogue=CATALOGUE, level_costs=None, history=level_history())
    assert res.cases.set_index("case_id").loc["N1", "ratio"] == approx(0.75)   # 6 000 / 8 000 (2A)
    assert res.cases.set_index("case_id").loc["N2", "ratio"] == approx(0.6)    # 6 000 / 10 000 (3A)


@pytest.mark.parametrize("method, k_2a", [
    # case mix (I-4 default): Σ n·m_2A / Σ n·m_3A over the 2A case mix
    #   = (1 × 8 000 + 3 × 3 000) / (1 × 10 000 + 3 × 4 000) = 17 000 / 22 000 = 0.772727…
    ("case_mix", 17000 / 22000),
    # simple: mean cost per 2A case / mean cost per 3A case
    #   = ((8 000 + 3 × 3 000) / 4) / ((2 × 10 000 + 2 × 4 000) / 4) = 4 250 / 7 000 = 0.607142…
    ("simple", 4250 / 7000),
])
def test_level_coefficient_computed_from_history(tmp_path, method, k_2a):
    cases = [case("N1", "H2", "G1", 6000), case("N2", "H1", "G1", 6000), case("N3", "H3", "G1", 6000)]
    changes = {"budget_point_value": 10, "interpretations": {"I-4": method},
               "coefficients": {"level": {"3B": 0.9}}}     # 3B overridden, 3A and 2A computed
    res = run(tmp_path, LEVEL_HOSPITALS, cases, changes, base=COMPUTED_LEVELS, catalogue=CATALOGUE,
              level_costs=None, history=level_history())
    h = res.hospitals.set_index("hospital_id")
    assert h.loc["H2", "level_coef"] == approx(k_2a)
    assert h.loc["H1", "level_coef"] == approx(1.0)          # the reference category itself
    assert h.loc["H3", "level_coef"] == approx(0.9)          # the override
    assert not any("level coefficient" in w for w in res.summary["warnings"])


def test_level_coefficient_reference_is_3a_reimbursed_at_level_3(tmp_path):
    # H4 is 3A but reimbursed at level 2: it is not part of the reference set (docs/rules.md, A-22)
    hospitals = LEVEL_HOSPITALS + [hospital("H4", "3A", 2)]
    history = level_history() + [hist("d1", "H4", 20000, group_id="G1")]
    cases = [case("N1", "H2", "G1", 6000), case("N2", "H1", "G1", 6000)]
    res = run(tmp_path, hospitals, cases, {"coefficients": {"level": {"3B": 0.9}}}, base=COMPUTED_LEVELS,
              catalogue=CATALOGUE, level_costs=None, history=history)
    # reference = H1 only: k_2A = 17 000 / 22 000 = 0.772727… as without H4
    # (the engine mixes H4 into the reference: m_G1,3A = 40 000 / 3, k = 17 000 / 25 333.3 = 0.671)
    assert res.hospitals.set_index("hospital_id").loc["H2", "level_coef"] == approx(17000 / 22000)


# --- A-17 budget point value --------------------------------------------------------------------

def test_budget_point_value_from_history_per_scheme(tmp_path):
    catalogue = [{"group_id": "G1", "group_type": "core", "rw": 1000},
                 {"group_id": "G2", "group_type": "core", "rw": 500, "policy_factor": 1.2}]
    history = [hist("e1", "H1", 10000, group_id="G1"), hist("e2", "H1", 10000, group_id="G1"),
               hist("e3", "H1", 4000, group_id="G2"), hist("e4", "H1", 4000, group_id="G2"),
               hist("r1", "H1", 6000, group_id="G1", scheme="resident"),
               hist("r2", "H1", 3000, group_id="G2", scheme="resident"),
               hist("r3", "H1", 3000, group_id="G2", scheme="resident")]
    cases = [case("N1", "H1", "G1", 9000), case("N2", "H1", "G1", 9000, scheme="resident")]
    res = run(tmp_path, GROUP_HOSPITALS, cases, {"budget_point_value": None}, catalogue=catalogue,
              history=history)
    s = res.summary["schemes"]
    # employee: Σ cost / Σ RW·policy = (2 × 10 000 + 2 × 4 000) / (2 × 1 000 + 2 × 600) = 28 000 / 3 200 = 8.75
    assert s["employee"]["budget_point_value"] == approx(8.75)
    # resident: (6 000 + 2 × 3 000) / (1 000 + 2 × 600) = 12 000 / 2 200 = 5.4545…
    assert s["resident"]["budget_point_value"] == approx(12000 / 2200)
    # a given value wins, per scheme
    res = run(tmp_path / "b", GROUP_HOSPITALS, cases, {"budget_point_value": {"employee": 12.5}},
              catalogue=catalogue, history=history)
    assert res.summary["schemes"]["employee"]["budget_point_value"] == approx(12.5)
    assert res.summary["schemes"]["resident"]["budget_point_value"] == approx(12000 / 2200)


def test_budget_point_value_quality_interval(tmp_path):
    # eight hospitals, all G1 (RW 1 000); cost per point cost_h / S_h:
    # H1 8 (2 cases of 8 000), H2 9, H3 10, H4 11, H5 12, H6 13, H7 14, H8 100
    costs = {"H1": [8000, 8000], "H2": [9000], "H3": [10000], "H4": [11000], "H5": [12000],
             "H6": [13000], "H7": [14000], "H8": [100000]}
    hospitals = [hospital(h) for h in costs]
    history = [hist(f"{h}-{i}", h, c, group_id="G1") for h, cs in costs.items() for i, c in enumerate(cs)]
    cases = [case("N1", "H1", "G1", 9000)]
    kw = dict(catalogue=CATALOGUE, history=history, fund=[fund_row("employee")])
    res = run(tmp_path, hospitals, cases, {"budget_point_value": None}, **kw)
    # standard: Σ cost / Σ RW = (16 000 + 9 000 + … + 14 000 + 100 000) / 9 000 = 185 000 / 9 000
    assert res.summary["schemes"]["employee"]["budget_point_value"] == approx(185000 / 9000)
    res = run(tmp_path / "q", hospitals, cases,
              {"budget_point_value": None, "point_value": {"method": "quality_interval"}}, **kw)
    # ratios 8 … 14 and 100: Q1 ≈ 9.75, Q3 ≈ 13.25 (IQR 3.5, fences 4.5 and 18.5 — any usual
    # quartile rule keeps 8 … 14 and drops 100); case-weighted mean of the kept ratios:
    # (8 × 2 + 9 + 10 + 11 + 12 + 13 + 14) / 8 = 85 / 8 = 10.625
    assert res.summary["schemes"]["employee"]["budget_point_value"] == approx(10.625)


# --- A-15 ¶2, ¶3 reports for next year ----------------------------------------------------------

def test_grassroots_exit_and_level_dominated_reports(tmp_path):
    catalogue = [{"group_id": "G1", "group_type": "core", "rw": 1000},
                 {"group_id": "G2", "group_type": "core", "rw": 500},
                 {"group_id": "G4", "group_type": "core", "rw": 300, "grassroots": True},
                 {"group_id": "G6", "group_type": "core", "rw": 300, "grassroots": True},
                 {"group_id": "G7", "group_type": "core", "rw": 700, "category": "ambiguous"}]
    hospitals = [hospital("H1", "3A", 3), hospital("H2", "2A", 2), hospital("H3", "1", 1)]
    cases = ([case(f"a{i}", "H1", "G4", 2700) for i in range(3)]             # G4: 2 of 5 at reimb ≤ 2
             + [case(f"b{i}", "H2", "G4", 2700) for i in range(2)]           #     0.4 < 0.6 → exits
             + [case(f"c{i}", "H2" if i < 2 else "H3", "G6", 2700) for i in range(3)]   # G6: 3/3 → stays
             + [case(f"d{i}", "H1", "G1", 9000) for i in range(5)]           # G1: 5/5 in 3A > 0.8
             + [case("e1", "H1", "G2", 4500), case("e2", "H2", "G2", 4500)])  # G2: 1/2 = 0.5
    res = run(tmp_path, hospitals, cases, catalogue=catalogue)
    reports = res.catalogue_reports()
    exits = reports["grassroots_exit"].set_index("group_id")
    assert exits.index.tolist() == ["G4"]
    assert exits.loc["G4", "grassroots_share"] == approx(0.4)              # 2 / 5
    dominated = reports["level_dominated"].set_index("group_id")
    # G1: all 5 cases in 3A (share 1.0 > 0.8); G4 3/5 = 0.6 and G6 2/3 in 2A are not over 0.8
    assert dominated.index.tolist() == ["G1"]
    assert dominated.loc["G1", "category"] == "3A" and dominated.loc["G1", "share"] == approx(1.0)
    assert reports["ambiguous_leaving"] == ["G7"]


# --- three years of history, weighted ---------------------------------------------------

@pytest.mark.parametrize("weights, M, rw_g1", [
    # equal weights: M = (1 000 + 2 000 + 4 000 + 3 × 1 000) / 6 = 1 666.67;
    # m_G1 = 7 000 / 3 = 2 333.33 → RW = 2 333.33 / 1 666.67 × 1 000 = 1 400
    (None, 10000 / 6, 1400.0),
    # 1:2:7 over 2021, 2022, 2023: M = (1 × 2 000 + 2 × 3 000 + 7 × 5 000) / (2 × 10) = 43 000 / 20 = 2 150;
    # m_G1 = (1 × 1 000 + 2 × 2 000 + 7 × 4 000) / 10 = 3 300 → RW = 3 300 / 2 150 × 1 000 = 1 534.88…
    ([1, 2, 7], 2150.0, 3300 / 2150 * 1000),
])
def test_rw_with_year_weights(tmp_path, weights, M, rw_g1):
    history = [hist(f"{g}{y}", "H1", c, date=f"{y}-06-01", group_id=g)
               for g, costs in (("G1", (1000, 2000, 4000)), ("G2", (1000, 1000, 1000)))
               for y, c in zip((2021, 2022, 2023), costs)]
    cases = [case("N1", "H1", "G1", 3000)]
    _, ref = reference(tmp_path, GROUP_HOSPITALS, cases, {"catalogue": {"year_weights": weights}},
                       catalogue=None, level_costs=None, history=history)
    cat = ref.catalogue.set_index("group_id")
    assert ref.mean_cost == approx(M)
    assert cat.loc["G1", "rw"] == approx(rw_g1)
