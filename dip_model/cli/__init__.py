"""`python -m dip_model …`: main (the parser; run, validate, explain, params), data (synth, import),
analysis (forecast, sensitivity, sweep), uncertainty (montecarlo, hospital-forecast), report (report, statements)."""
