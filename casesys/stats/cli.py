"""``flask stats``: the plan's figures from the command line."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from casesys.core.errors import InvalidInput
from casesys.stats import figures
from casesys.stats.filters import parse_filters

stats_cli = AppGroup("stats", help="Statistics aggregated from the case records.")


@stats_cli.command("plan-figures")
@click.option("--from", "date_from", required=True, help="first day of the period, YYYY-MM-DD")
@click.option("--to", "date_to", required=True, help="last day of the period, YYYY-MM-DD")
@click.option("--region", help="a region code (GB/T 2260); includes everything below it")
@click.option("--json", "as_json", is_flag=True, help='print {"figures": {key: value}} as the API does')
def plan_figures_command(date_from, date_to, region, as_json):
    """Every DOMAIN §5 figure for the period, computed from the records now."""
    try:
        f = parse_filters({"from": date_from, "to": date_to, "region": region})
    except InvalidInput as exc:
        raise click.BadParameter("; ".join(f"{k}: {v}" for k, v in exc.fields.items())) from None
    values = figures.plan_figures(f)
    if as_json:
        click.echo(json.dumps({"figures": values}, ensure_ascii=False, indent=2))
        return
    click.echo(f"period {f.date_from} .. {f.date_to}, region {f.region or '230000 (all)'}")
    width = max(map(len, values))
    for key, value in values.items():
        fig = figures.figure(key)
        click.echo(f"{key:<{width}}  {figures.display(fig, value):>22}   plan: {fig.plan}")
