"""The February campaign's timeline, priced: before, during (the grace), after the end date."""

from __future__ import annotations

from datetime import date

import pytest
from billing.domain.errors import InvalidInput
from billing.domain.pricing import price_day
from billing.domain.qf import QfCampaign, QfHistory, QfState, QuotientFamilial, campaign_period
from billing.domain.tariffs import TariffGrid

GRID = TariffGrid.from_payload(
    "cantine",
    "2026/2027",
    [
        {"qf_max": 600, "unit_price_cents": 150},
        {"qf_max": 1200, "unit_price_cents": 280},
        {"qf_max": None, "unit_price_cents": 374},
    ],
)
CAMPAIGN = QfCampaign(2027, date(2027, 2, 28))
OLD = QuotientFamilial(500, *campaign_period(2026), "attestation_caf", QfState.VALIDATED, id="old")


def test_a_family_that_does_not_renew_keeps_its_qf_until_the_end_date_then_pays_the_highest_tariff():
    history = QfHistory([OLD], [CAMPAIGN])
    assert price_day(GRID, history, date(2027, 1, 31)).unit_price.cents == 150  # before the new period
    assert price_day(GRID, history, date(2027, 2, 1)).unit_price.cents == 150  # the grace starts
    assert price_day(GRID, history, date(2027, 2, 28)).unit_price.cents == 150  # the end date itself
    after = price_day(GRID, history, date(2027, 3, 1))
    assert after.qf is None and after.unit_price.cents == 374  # the highest tariff
    assert history.needs_renewal(2027)


def test_without_an_open_campaign_the_old_qf_ends_on_31_january():
    history = QfHistory([OLD])
    assert price_day(GRID, history, date(2027, 2, 1)).unit_price.cents == 374


def test_a_family_that_renewed_is_priced_with_its_new_qf_from_1_february():
    new = QuotientFamilial(900, *campaign_period(2027), "avis_imposition", QfState.VALIDATED, id="new")
    history = QfHistory([OLD, new], [CAMPAIGN])
    assert price_day(GRID, history, date(2027, 2, 1)).unit_price.cents == 280
    assert price_day(GRID, history, date(2027, 6, 1)).unit_price.cents == 280
    assert not history.needs_renewal(2027)


def test_a_pending_proof_gives_no_grace_beyond_the_end_date():
    pending = QuotientFamilial(900, *campaign_period(2027), "avis_imposition", QfState.PENDING, id="p")
    history = QfHistory([OLD, pending], [CAMPAIGN])
    assert history.value_on(date(2027, 2, 10)) == OLD
    assert history.proved_on(date(2027, 2, 10)) is None
    assert history.value_on(date(2027, 3, 1)) is None


def test_a_family_with_no_qf_at_all_pays_the_highest_tariff_even_during_the_grace():
    history = QfHistory([], [CAMPAIGN])
    assert price_day(GRID, history, date(2027, 2, 10)).unit_price.cents == 374


def test_the_history_keeps_its_campaigns_when_a_qf_is_added():
    pending = QuotientFamilial(900, *campaign_period(2027), "avis_imposition", QfState.PENDING, id="p")
    assert QfHistory([OLD], [CAMPAIGN]).with_qf(pending).campaigns == (CAMPAIGN,)


@pytest.mark.parametrize("ends_on", [date(2027, 1, 31), date(2028, 2, 1)])
def test_the_end_date_must_fall_in_the_new_period(ends_on):
    with pytest.raises(InvalidInput) as refused:
        QfCampaign(2027, ends_on)
    assert refused.value.errors[0].field == "ends_on"
    assert "01/02/2027" in refused.value.errors[0].message


def test_a_proofs_file_outlives_its_decision_by_the_retention():
    from datetime import UTC, datetime

    from billing.domain.qf import proof_purge_cutoff

    now = datetime(2027, 5, 11, 9, 30, tzinfo=UTC)
    assert proof_purge_cutoff(now, 90) == datetime(2027, 2, 10, 9, 30, tzinfo=UTC)
    assert proof_purge_cutoff(now, 0) == now  # 0: decided means gone at the next round
    with pytest.raises(ValueError):
        proof_purge_cutoff(now, -1)
