"""Data generation: reference data, demo accounts and cases, and the 2016–2020 history."""
