"""Stage caching never returns stale numbers: a cached re-run equals a run on a fresh copy of the data."""
import pandas as pd
import pytest

import dip_model
from dip_model.data.synth import write_city


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("city")
    write_city(folder, n_cases=2500, seed=3)
    return folder


CHANGES = [
    {"budget": {"growth_rate": 0.02}},
    {"sharing": {"resident": {"overspend": [{"to": 1.2, "rate": 0.4}]}}},
    {"coefficients": {"level": {"3A": 1.0, "2A": 0.7}, "combine": "add"}},
    {"cases": {"high_ratio": 3.0, "special_rate": 0.01}},
    {"interpretations": {"I-1": "city", "I-7": "no_multiply"}},
    {"catalogue": {"policy_factors": {}}, "mean_cost_all": 9000},
    {},
]


def test_cached_reruns_equal_fresh_runs(city):
    shared = dip_model.load_data(city)
    for change in CHANGES + CHANGES[::-1]:
        p = dip_model.load_params(change)
        cached = dip_model.simulate(shared, p)
        fresh = dip_model.simulate(dip_model.load_data(city), p)
        pd.testing.assert_frame_equal(cached.hospitals, fresh.hospitals)
        assert cached.summary == fresh.summary


def test_parameter_only_change_reuses_case_scores(city):
    data = dip_model.load_data(city)
    a = dip_model.simulate(data, dip_model.load_params())
    b = dip_model.simulate(data, dip_model.load_params({"budget": {"growth_rate": 0.01}, "assessment_share": 0.1}))
    c = dip_model.simulate(data, dip_model.load_params({"cases": {"low_ratio": 0.4}}))
    assert b.stage.scores is a.stage.scores          # same case-level arrays, not re-scored
    assert c.stage.scores is not a.stage.scores      # a case rule changed: re-scored
    assert b.summary["schemes"]["resident"]["budget_total"] != a.summary["schemes"]["resident"]["budget_total"]


def test_warnings_do_not_pile_up(city):
    data = dip_model.load_data(city)
    first = dip_model.simulate(data, dip_model.load_params()).summary["warnings"]
    for _ in range(3):
        again = dip_model.simulate(data, dip_model.load_params({"cases": {"readmit_days": 10}})).summary["warnings"]
    assert len(again) == len(first)


def test_dataset_is_shared_safely_by_threads_and_pickles_without_caches(city):
    import pickle
    from concurrent.futures import ThreadPoolExecutor
    data = dip_model.load_data(city)
    variants = [{"budget": {"growth_rate": 0.01 * i}} for i in range(8)] + \
               [{"cases": {"high_ratio": 2.0 + 0.1 * i}} for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        shared = list(pool.map(lambda v: dip_model.simulate(data, dip_model.load_params(v)), variants * 2))
    fresh_data = dip_model.load_data(city)
    for i, v in enumerate(variants):
        fresh = dip_model.simulate(fresh_data, dip_model.load_params(v))
        pd.testing.assert_frame_equal(shared[i].hospitals, fresh.hospitals)
        pd.testing.assert_frame_equal(shared[i + len(variants)].hospitals, fresh.hospitals)
    copy = pickle.loads(pickle.dumps(data))
    assert copy._cache == {} and data._cache
    pd.testing.assert_frame_equal(dip_model.simulate(copy).hospitals, dip_model.simulate(data).hospitals)
