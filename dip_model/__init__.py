"""DIP what-if engine for the Luzhou rules (泸市医保规〔2024〕2号, 3号).

    import dip_model
    data = dip_model.load_data("data/sample")
    params = dip_model.load_params({"budget": {"growth_rate": 0.06}})
    res = dip_model.simulate(data, params)
    res.summary, res.hospitals, res.cases, res.explain("H001", "resident")
"""
__version__ = "0.6.0"

from .data.dataset import SCHEMES, DataSet
from .data.load import load_data, validate
from .data.results import write_results
from .errors import BudgetError, DipError, InputError, ParameterError, Problem
from .params import Params, load_params
from .rules.pipeline import Results, simulate

__all__ = ["__version__", "DataSet", "SCHEMES", "Results", "simulate", "load_data", "validate", "load_params", "Params",
           "write_results", "DipError", "InputError", "ParameterError", "BudgetError", "Problem"]
