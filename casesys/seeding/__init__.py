"""Data generation: reference data, demo accounts and cases, and (later) the 2016–2020 history.

Seeding sits above everything it seeds (agencies, the calendar, cases through their workflows),
so no feature package has to import another one just to fill it with data."""
