"""Parameter files: unknown keys and invalid switch values are refused, naming the parameter."""
from __future__ import annotations

import pytest

import dip_model
from dip_model import ParameterError


def load_text(tmp_path, text):
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    return dip_model.load_params(path)


@pytest.mark.parametrize("text, name", [
    ("budget:\n  growth_rat: 0.1\n", "budget.growth_rat"),
    ("growth_rate: 0.1\n", "growth_rate"),
    ("cases:\n  special_rate: 0.003\n  low_ration: 0.4\n", "cases.low_ration"),
    ("interpretations:\n  I-99: strict\n", "interpretations.I-99"),
])
def test_unknown_parameter_is_refused(tmp_path, text, name):
    with pytest.raises(ParameterError) as err:
        load_text(tmp_path, text)
    assert f"'{name}'" in str(err.value)


@pytest.mark.parametrize("text, name", [
    ("interpretations:\n  I-7: sometimes\n", "interpretations.I-7"),
    ("interpretations:\n  I-1: per_district\n", "interpretations.I-1"),
    ("interpretations:\n  I-11: loose\n", "interpretations.I-11"),
    ("coefficients:\n  combine: both\n", "coefficients.combine"),
    ("point_value:\n  method: median\n", "point_value.method"),
])
def test_invalid_switch_value_is_refused(tmp_path, text, name):
    with pytest.raises(ParameterError) as err:
        load_text(tmp_path, text)
    assert f"'{name}'" in str(err.value)


def test_a_valid_file_merges_over_the_builtin_rules(tmp_path):
    p = load_text(tmp_path, "budget: {growth_rate: 0.06}\ninterpretations: {I-7: no_multiply}\n"
                            "coefficients: {level: {3A: 1.0, 2A: 0.7}}\n")
    assert p.get("budget.growth_rate") == 0.06
    assert p.get("budget.growth_cap") == 0.08                  # untouched built-in value
    assert p.interpretation("I-7") == "no_multiply"
    assert p.interpretation("I-11") == "strict"
    assert p.get("coefficients.level") == {"3A": 1.0, "2A": 0.7}
