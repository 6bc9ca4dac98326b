"""`python -m dip_model …`: main (the parser; run, validate, explain, synth, params, import), analysis
(forecast, sensitivity, sweep), uncertainty (montecarlo, hospital-forecast), report (report, statements)."""
