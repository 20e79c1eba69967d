"""WSGI entry point: ``gunicorn -w 4 wsgi:app``. Reads its settings from CASESYS_* variables."""

from casesys import create_app

app = create_app()
