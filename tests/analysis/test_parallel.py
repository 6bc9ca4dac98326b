"""dip_model.analysis.parallel: results in the order of the items whatever the scheduler, and the same tasks sent to
a dask.distributed cluster by its address give the same numbers as the local scheduler."""
import numpy as np
import pytest

import dip_model
from dip_model.analysis.montecarlo import run_montecarlo
from dip_model.analysis.parallel import batches, map_tasks
from dip_model.analysis.sensitivity import Metric, tornado


def _scaled(shared, item):
    return shared * item


@pytest.mark.parametrize("n,k", [(1, 4), (7, 3), (10, 4), (3, 10)])
def test_batches_keep_order_and_cover_everything(n, k):
    parts = batches(range(n), k)
    assert [x for b in parts for x in b] == list(range(n))
    assert len(parts) == min(n, k) and max(map(len, parts)) - min(map(len, parts)) <= 1


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_map_tasks_order_and_shared(scheduler):
    assert map_tasks(_scaled, range(9), 3, scheduler=scheduler) == [3 * i for i in range(9)]
    assert map_tasks(_scaled, [], 3) == []
    with pytest.raises(ValueError, match="scheduler"):
        map_tasks(_scaled, [1], 1, scheduler="cloud")


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as c:
        yield c.scheduler_address


def test_a_cluster_address_gives_the_local_results(city, cluster):
    assert map_tasks(_scaled, range(5), 2, address=cluster) == [0, 2, 4, 6, 8]
    data = dip_model.load_data(city)
    local = run_montecarlo(data, None, draws=12, seed=3)
    remote = run_montecarlo(data, None, draws=12, seed=3, address=cluster)
    assert np.array_equal(local.schemes, remote.schemes) and np.array_equal(local.hospitals, remote.hospitals)
    m = Metric("point_value", "resident", None)
    slots = ["budget.growth_rate.resident", "assessment_share"]
    a = tornado(data, None, m, slots)
    b = tornado(data, None, m, slots, address=cluster)
    assert np.allclose(a["bar_low"], b["bar_low"], rtol=1e-12) and np.allclose(a["bar_high"], b["bar_high"], rtol=1e-12)
