"""The loader proves every effect receivable (decree 310 Art 13: a returned transfer reaches the agency)."""

from __future__ import annotations

import pytest

from casesys import create_app
from casesys.workflows.loader import WorkflowError, load_workflows
from tests.conftest import config_for
from tests.test_workflow_engine import _copy_with


def test_the_real_definitions_pass_the_effect_proof():
    assert "criminal_transfer" in load_workflows()


def test_an_effect_the_other_case_cannot_receive_stops_start_up(tmp_path, database_url):
    # After a refusal the agency may decide its penalty before the police file on reconsideration.
    def narrow(d):
        d["transitions"]["criminal_case_filed"]["from"].remove("decided")
    directory = _copy_with(tmp_path, "admin_enforcement", narrow)
    with pytest.raises(WorkflowError, match=r"criminal_transfer\.yaml: transitions\.reconsider_and_file: its "
                                            r"effect 'criminal_case_filed' can reach the admin_enforcement case "
                                            r"while it is 'decided'"):
        create_app({**config_for(database_url), "CASESYS_WORKFLOW_DIR": str(directory)})


def test_a_second_transfer_alongside_an_open_one_is_refused(tmp_path):
    # Without the guard two transfers run at once, and one's filing can meet the other's ending.
    directory = _copy_with(tmp_path, "admin_enforcement",
                           lambda d: d["transitions"]["propose_criminal_transfer"].pop("guard"))
    with pytest.raises(WorkflowError, match="criminal_transfer.yaml: transitions.*cannot be received"):
        load_workflows(directory)
