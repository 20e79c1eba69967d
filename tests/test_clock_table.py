"""docs/workflows.md lists every clock as the files define it (``flask workflows clocks``)."""

from __future__ import annotations

from casesys.config import REPO_ROOT
from casesys.workflows import clock_table

DOC = REPO_ROOT / "docs" / "workflows.md"


def test_the_clock_table_in_the_docs_is_the_one_the_files_give(app, runner):
    printed = runner.invoke(args=["workflows", "clocks"])
    assert printed.exit_code == 0, printed.output
    documented = DOC.read_text(encoding="utf-8").split("<!-- clocks:start -->\n")[1].split("<!-- clocks:end -->")[0]
    assert documented == printed.output, "run `flask workflows clocks` and paste it into docs/workflows.md"
    workflows = app.extensions["casesys.workflows"]
    assert len(clock_table.rows(workflows)) == sum(len(w.clocks) + (w.handoff is not None) for w in workflows.values())
    assert "| internal target |" in printed.output and "| statutory |" in printed.output
