"""What every feature shares: column types, time, guards, errors, the unit of work."""
