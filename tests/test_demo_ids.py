"""The demo family and activities have the same ids in every service's demo data.

Each service seeds its own copy of the demo family (and billing prices planning's demo
activities) without waiting for the events that would carry them: that only works while
every demo loader derives the ids from the same rule.
"""

from __future__ import annotations

from accounts import demo as accounts_demo
from billing import demo as billing_demo
from messaging import demo as messaging_demo
from planning import demo as planning_demo


def test_the_demo_family_is_one_family_everywhere():
    dossiers = {
        accounts_demo.DEMO_DOSSIER_ID,
        planning_demo.DOSSIER_404,
        billing_demo.DOSSIER_ID,
        messaging_demo.DEMO_DOSSIER_ID,
    }
    arthurs = {
        accounts_demo.DEMO_ARTHUR_ID,
        planning_demo.ARTHUR,
        billing_demo.ARTHUR_ID,
        messaging_demo.DEMO_CHILD_ID,
    }
    assert len(dossiers) == 1 and len(arthurs) == 1


def test_billing_prices_the_activities_planning_creates():
    for code in ("cantine", "peri_matin", "alsh_mercredi"):
        assert planning_demo.demo_activity_id("2026/2027", code) == billing_demo.demo_activity_id("2026/2027", code)
    assert planning_demo.demo_activity_id("2026/2027", "cantine") != planning_demo.demo_activity_id(
        "2027/2028", "cantine"
    )
