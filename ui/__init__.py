"""Dashboard helpers (no policy logic here: every figure comes from dip_model)."""
