"""Analyses built on the rules: multi-year projection and its bands, sensitivity and sweeps, Monte Carlo
uncertainty on aggregated cells, a hospital's year-end forecast, group and band views, the budget's
derivation, and the parallel runner they share.

Imports: the top level of dip_model, rules and data. Nothing from report or cli.
"""
