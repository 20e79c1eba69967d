"""Data generation: reference data, demo accounts and cases, and the 2016–2020 history
(``seeding.history``, also the 1M-case benchmark's generator).

Seeding sits above everything it seeds (agencies, the calendar, cases through their workflows),
so no feature package has to import another one just to fill it with data."""
