"""Demo accounts and sample cases for a local installation."""
