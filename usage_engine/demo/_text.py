"""What the demo prints: each sample subscription's figures at :data:`NOW`, as text or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..models import BillingPeriod, Plan, Subscription, Tax
from ..models.period import lago_datetime
from ..models.usage import ProjectedUsage, Usage
from ..past import PastUsage, past_usage
from ..periods import billing_period, periods_before
from ..projection import projected_usage
from ..report import (
    format_money,
    past_table,
    period_heading,
    period_lines,
    text_table,
    usage_table,
)
from ..usage import current_usage
from ._sample import NOW, WIDTH, Sample, load_sample

__all__ = ["SubscriptionResult", "demo_json", "run_demo", "subscription_result"]


@dataclass(frozen=True, slots=True)
class SubscriptionResult:
    """What the demo computes for one subscription at :data:`NOW`.

    >>> subscription_result(load_sample(), "umbrella").period.to_lago()["from_datetime"]
    '2026-09-30T00:00:00Z'
    """

    subscription: Subscription
    plan: Plan
    period: BillingPeriod
    current: Usage
    projected: ProjectedUsage
    previous: PastUsage | None


def subscription_result(
    sample: Sample, external_id: str, *, now: datetime = NOW
) -> SubscriptionResult:
    """Period, current usage, projection and the previous period's frozen usage of one subscription.

    >>> result = subscription_result(load_sample(), "acme")
    >>> result.current.amount_cents, result.projected.projected_amount_cents
    (163766, 240073)
    >>> result.previous is not None and result.previous.digest[:12]
    '312f5c650ad4'
    """
    plan = Plan.model_validate(sample.plan)
    subscription = Subscription.model_validate(sample.subscription(external_id))
    taxes = tuple(Tax.model_validate(item) for item in sample.taxes)
    events = sample.events
    period = billing_period(subscription, now, plan=plan)
    current = current_usage(plan, events, period, now=now, taxes=taxes)
    projected = projected_usage(plan, events, period, now=now, taxes=taxes)
    before = periods_before(subscription, now, 1, plan=plan)
    previous = past_usage(plan, events, before[0], taxes=taxes, now=now) if before else None
    return SubscriptionResult(subscription, plan, period, current, projected, previous)


def _overview(results: Sequence[SubscriptionResult]) -> list[str]:
    # Two tables rather than one 104 columns wide: the demo fits an 80-column terminal.
    periods, amounts = [], []
    for result in results:
        period, currency = result.period, result.plan.amount_currency
        zone = ZoneInfo(period.timezone)
        first = period.charges_from_datetime.astimezone(zone).date()
        last = period.charges_to_datetime.astimezone(zone).date()
        today = (NOW.astimezone(zone).date() - first).days + 1
        previous = result.previous
        key = result.subscription.external_id
        periods.append(
            [
                key,
                period.timezone,
                period.billing_time.value,
                f"{first} .. {last}",
                f"{today}/{(last - first).days + 1}",
            ]
        )
        amounts.append(
            [
                key,
                format_money(result.current.amount_cents, currency),
                format_money(result.projected.projected_amount_cents, currency),
                "" if previous is None else format_money(previous.amount_cents, currency),
            ]
        )
    period_header = ["subscription", "timezone", "billing", "current period", "day"]
    amount_header = ["subscription", "usage so far", "projected", "previous period"]
    return [
        *text_table(period_header, periods, left=4),
        "",
        *text_table(amount_header, amounts, left=1),
    ]


def run_demo(external_id: str | None = None) -> str:
    """The demo's report as text (deterministic: the sample and :data:`NOW` are fixed).

    An overview of every sample subscription, then the details of ``external_id`` (default: the
    first): its billing period, current usage and projection, and its previous period frozen.

    >>> [line for line in run_demo("initech").splitlines() if line.startswith("==")]
    ['== initech ==']
    """
    sample = load_sample()
    results = [subscription_result(sample, item["external_id"]) for item in sample.subscriptions]
    chosen = external_id or results[0].subscription.external_id
    detail = next(
        (item for item in results if item.subscription.external_id == chosen),
        None,
    )
    if detail is None:
        sample.subscription(chosen)  # raises, naming the known subscriptions
        raise AssertionError  # pragma: no cover
    plan = detail.plan
    taxes = ", ".join(f"{item['name']} ({item['rate']} %)" for item in sample.taxes)
    lines = [
        f"usage_engine demo: plan {plan.name!r} ({plan.code}, {plan.interval.value}, "
        f"{plan.amount_currency}), {len(plan.charges)} charges;",
        f"{len(sample.subscriptions)} subscriptions, {len(sample.events):,} events",
        f"now = {lago_datetime(NOW)}; customer taxes: {taxes}; amounts in {plan.amount_currency}",
        "",
        *_overview(results),
        "",
        "",
        f"== {detail.subscription.external_id} ==",
        "",
        *period_lines(detail.period, now=NOW),
        "",
        usage_table(
            detail.current,
            projected=detail.projected,
            plan=plan,
            now=NOW,
            title=period_heading("Current usage", detail.period),
            max_width=WIDTH,
        ),
    ]
    if detail.previous is not None:
        before = periods_before(detail.subscription, NOW, 1, plan=plan)[0]
        title = period_heading("Previous period (frozen)", before)
        lines += ["", past_table(detail.previous, plan=plan, title=title)]
    lines += [
        "",
        "More: usage-engine demo --subscription globex (or initech, umbrella).",
        "The sample's files: usage-engine sample DIR, then usage-engine current --help.",
    ]
    return "\n".join(lines)


def demo_json(external_id: str | None = None) -> dict[str, Any]:
    """The demo's results for one subscription as JSON: Lago's shapes plus the digest.

    >>> document = demo_json("initech")
    >>> document["customer_usage"]["amount_cents"], document["past_usage"]["digest"][:12]
    (42184, '360d1d7a1b63')
    """
    sample = load_sample()
    chosen = external_id or sample.subscriptions[0]["external_id"]
    result = subscription_result(sample, chosen)
    document: dict[str, Any] = {
        "external_subscription_id": chosen,
        "now": lago_datetime(NOW),
        "period": result.period.to_lago(),
        "customer_usage": result.current.to_lago(),
        "customer_projected_usage": result.projected.to_lago(),
        "past_usage": None,
    }
    if result.previous is not None:
        document["past_usage"] = {
            "usage": result.previous.to_lago(),
            "true_ups": [item.to_lago() for item in result.previous.true_ups],
            "digest": result.previous.digest,
        }
    return document
