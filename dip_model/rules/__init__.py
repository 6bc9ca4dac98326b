"""The settlement rules of 泸市医保规〔2024〕2号 and the assessment rules of 〔2024〕3号, one module per rule
family, in the order the year is settled (pipeline.py runs them):

    budget (A-9 … A-14) → grouping, catalogue (A-15 … A-17) → case_scores (A-18 … A-21, A-24, A-15 ¶2)
    → coefficients (A-22, A-23, A-25) → assessment (A-29, K-6 … K-11) → settlement (A-34, A-35)
    → risk_sharing (A-36) → pipeline (A-32, A-36 cap and violations, A-37) → fund_balance (A-3)

with prepare (the one-off encoding of a dataset's columns), hospital_data (a scenario's per-hospital
values), rounding, explain (the trace of one hospital) and articles (the texts cited).

Imports: the top level of dip_model (params, errors, messages, yamlio) and, from data, only the DataSet
type (data.dataset). Nothing from analysis, report or cli.
"""
