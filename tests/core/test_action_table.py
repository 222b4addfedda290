"""The action table is the one list of actions: every consumer (the dispatcher, the feature
checks, the renderer, the OpenAPI document, the page script's texts and its JSON) agrees
with it, so adding an action is one entry plus its run function."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from billflow_core.actions import ACTIONS, page_actions
from billflow_core.actions.dispatch import RUNS
from billflow_core.billing.rules import check_feature
from billflow_core.billing.state import SubscriptionView
from billflow_core.errors import Forbidden
from billflow_core.settings import PortalSettings
from billflow_core.web.openapi import openapi_document
from billflow_core.web.render import offered_actions
from billflow_core.web.request_language import Languages
from billflow_core.web.schemas import payload_name

EMBED_JS = Path(__file__).parents[2] / "billflow_core" / "web" / "static" / "embed.js"


def test_every_action_in_the_table_runs_and_nothing_runs_outside_it() -> None:
    assert set(RUNS) == set(ACTIONS)


def test_the_openapi_document_names_each_actions_payload_as_the_table_does() -> None:
    document = openapi_document("/billflow")
    route = document["paths"]["/billflow/api/actions/{action}"]["post"]
    (action,) = [p for p in route["parameters"] if p.get("in") == "path"]
    assert action["schema"]["enum"] == sorted(ACTIONS)
    schemas = document["components"]["schemas"]
    for name, spec in ACTIONS.items():
        payload = schemas[payload_name(name)]
        assert set(payload["properties"]) == spec.fields, name
        assert payload["required"] == list(spec.required), name
        nullable = {f for f, s in payload["properties"].items() if "null" in s["type"]}
        assert nullable == spec.nullable, name


@pytest.mark.parametrize("spec", [s for s in ACTIONS.values() if s.option], ids=lambda s: s.name)
def test_the_option_the_table_names_switches_the_action_off(spec: object) -> None:
    name, option = spec.name, spec.option  # type: ignore[attr-defined]
    field = {f.name: f for f in dataclasses.fields(PortalSettings)}[option]
    off = None if field.default is None else False
    with pytest.raises(Forbidden) as refused:
        check_feature(dataclasses.replace(PortalSettings(), **{option: off}), name)
    assert refused.value.code == "feature_disabled"
    assert refused.value.message == ACTIONS[name].refusal and "_" not in refused.value.message


def test_a_subscription_offers_actions_in_the_tables_order() -> None:
    everything = SubscriptionView(
        id="sub_1", status="active", price_id="price_1", product_name="Team", plan=None,
        amount=100, currency="usd", interval="month", interval_count=1, quantity=1,
        unit_label=None, discount=None, current_period_end=0, cancel_at=None,
        canceled_at=None, ended_at=None, paused_until=None, paused=False,
        allowed=frozenset(ACTIONS),
    )  # fmt: skip
    offered = [(s.offered, s.name) for s in ACTIONS.values() if s.offered]
    assert offered_actions(everything) == offered
    assert {kind for kind, _ in offered} == {"open", "run"}


def test_the_page_script_gets_each_actions_fields_events_and_text_from_the_table() -> None:
    sent = page_actions()
    assert set(sent) == set(ACTIONS)
    assert sent["subscribe"]["event"] == "create_subscription"  # hosted Billflow's name
    assert sent["cancel"] == {
        "fields": ["comment", "reason", "subscription"],
        "pre_event": "pre_cancel",
        "event": "cancel",
        "done": "cancel.done",
    }
    texts = Languages(PortalSettings()).for_request("en").script_texts
    assert all(spec.done in texts for spec in ACTIONS.values() if spec.done)
    script = EMBED_JS.read_text()
    assert not [s.done for s in ACTIONS.values() if s.done and f"'{s.done}'" in script]
