"""The panel's campaigns, inbox and a member's message and new card, through HTTP: signed
in by the `/panel` link as tests/test_web_panel.py does. A campaign made on the page is the
campaign `/campaign` makes and the campaign job queues; a form posted twice acts once; a
cashier is refused; a form without the page's CSRF token is refused. The inbox's answer,
a member's message and a new card reach the outbox and the cards as the bot's do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.outbox import OutboxSender
from bot.settings import Settings
from jobs import campaigns as campaign_job
from loyalty import campaigns
from loyalty import inbox as member_inbox
from loyalty.staff import panel, places
from loyalty.staff.access import identify
from models import (
    AuditEntry,
    Campaign,
    Card,
    Channel,
    InboxItem,
    Member,
    OutboxMessage,
    Staff,
    StaffRole,
    Tier,
)
from tests import helpers
from tests.conftest import NOW
from tests.fakes.kavenegar import FakeKavenegar
from tests.staff_harness import CASHIER, MANAGER, OWNER, Harness, harness
from tests.test_outbox import gateway
from tests.test_web_panel import BASE, FORM_OUT_OF_DATE, signed_in
from tests.web_harness import TEHRAN, Clock, page, pages_client, text_of

CAMPAIGNS = "/club/panel/campaigns"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def bot(any_db: str) -> AsyncIterator[Harness]:
    settings = Settings(
        owner_ids=[OWNER],
        default_locale="en",
        timezone="Asia/Tehran",
        web_app_url=BASE,
        _env_file=None,
    )
    panel.forget_figures()
    async with harness(settings) as h:
        yield h


@pytest.fixture
async def client(bot: Harness, clock: Clock) -> AsyncIterator[TestClient]:
    async with pages_client(clock, default_locale="en", owner_ids=(OWNER,)) as client_:
        yield client_


async def form_of(client: TestClient, path: str, form_id: str) -> dict[str, str]:
    """The hidden fields of a form as the page shows it (CSRF token, request key)."""
    html = await (await client.get(path)).text()
    form = page(html).get_element_by_id(form_id)
    return {i.get("name"): i.get("value") or "" for i in form.iter("input") if i.type == "hidden"}


async def test_a_campaign_made_on_the_page_is_queued_once_even_posted_twice(
    bot: Harness, client: TestClient, clock: Clock
) -> None:
    gold = await Tier.get(code="gold")
    ours = [
        await helpers.member(NOW, first_name="Sara", telegram_id=501),
        await helpers.member(NOW, first_name="Ali", telegram_id=502),
    ]
    await Member.filter(id__in=[m.id for m in ours]).update(tier_id=gold.id)
    await helpers.member(NOW, first_name="Other", telegram_id=503)  # not gold
    await helpers.member(NOW, first_name="Phone only")  # gold would not matter: no Telegram
    await signed_in(client, bot, OWNER)
    html = await (await client.get("/club/panel/")).text()
    assert page(html).get_element_by_id("nav-campaigns").get("href") == CAMPAIGNS
    form = await form_of(client, CAMPAIGNS, "new-campaign")
    posted = {
        **form,
        "tier": "gold",
        "channel": "telegram",
        "text": "  Double points this Friday!  ",
        "when": "۱۸:۳۰",  # NOW is 12:30 in Tehran: today, six hours later
    }
    for _ in range(2):
        response = await client.post(CAMPAIGNS, data=posted, allow_redirects=False)
        assert response.status == 303
    [campaign] = await Campaign.all()
    assert response.headers["Location"] == f"{CAMPAIGNS}?created={campaign.id}"
    owner = await Staff.get(telegram_id=OWNER)
    assert (campaign.audience, campaign.channel, campaign.text, campaign.status) == (
        {"tier": "gold"},
        "telegram",
        "Double points this Friday!",
        "scheduled",
    )
    assert campaign.send_at == NOW + timedelta(hours=6)
    assert campaign.created_by_id == owner.id
    assert campaign.request_key == f"panel:{owner.id}:{form['request']}"
    assert await AuditEntry.filter(action="campaign_created").count() == 1

    shown = await (await client.get(response.headers["Location"])).text()
    assert text_of(shown, "message") == f"Campaign #{campaign.id} is scheduled."
    row = page(shown).get_element_by_id(f"campaign-{campaign.id}")
    assert row.find_class("status")[0].text_content() == "scheduled"
    assert row.find_class("sent")[0].text_content() == "0 of 2"

    assert await campaign_job.run(NOW + timedelta(hours=5), TEHRAN) == []  # not yet
    assert await campaign_job.run(NOW + timedelta(hours=6), TEHRAN) == [campaign.id]
    rows = await OutboxMessage.filter(campaign_id=campaign.id).order_by("member_id")
    assert [(r.member_id, r.channel, r.template) for r in rows] == [
        (m.id, Channel.TELEGRAM, "campaign") for m in ours
    ]
    assert {r.params["text"] for r in rows} == {"Double points this Friday!"}
    shown = await (await client.get(CAMPAIGNS)).text()
    row = page(shown).get_element_by_id(f"campaign-{campaign.id}")
    assert row.find_class("status")[0].text_content() == "sent to the outbox"
    assert row.find_class("sent")[0].text_content() == "0 of 2"
    assert [b.text_content() for b in row.iter("button")] == ["Pause", "Stop"]


async def test_a_scheduled_campaign_is_cancelled_and_stays_unsent(
    bot: Harness, client: TestClient
) -> None:
    await helpers.member(NOW, first_name="Sara", telegram_id=501)
    await signed_in(client, bot, OWNER)
    form = await form_of(client, CAMPAIGNS, "new-campaign")
    posted = {**form, "channel": "telegram_sms", "text": "Sale", "when": "2026-12-30 18:30"}
    created = await client.post(CAMPAIGNS, data=posted, allow_redirects=False)
    assert created.status == 303
    [campaign] = await Campaign.all()
    html = await (await client.get(CAMPAIGNS)).text()
    cancel = page(html).get_element_by_id(f"campaign-{campaign.id}").find(".//form")
    assert cancel.get("action") == f"{CAMPAIGNS}/{campaign.id}/cancel"
    csrf = {"csrf": cancel.find(".//input").get("value")}
    done = await client.post(cancel.get("action"), data=csrf, allow_redirects=False)
    assert done.status == 303
    shown = await (await client.get(done.headers["Location"])).text()
    assert text_of(shown, "message") == f"Campaign #{campaign.id} cancelled."
    assert (await Campaign.get(id=campaign.id)).status == "cancelled"
    again = await client.post(cancel.get("action"), data=csrf)
    assert again.status == 409
    assert text_of(await again.text(), "message") == (
        f"Campaign #{campaign.id} has already started or ended: pause or stop it instead."
    )
    assert await campaign_job.run(NOW + timedelta(days=60), TEHRAN) == []
    assert await OutboxMessage.filter(campaign_id=campaign.id).count() == 0
    assert await AuditEntry.filter(action="campaign_cancelled").count() == 1


async def test_bad_campaign_forms_change_nothing(bot: Harness, client: TestClient) -> None:
    await signed_in(client, bot, OWNER)
    form = await form_of(client, CAMPAIGNS, "new-campaign")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"channel": "telegram", "text": "   "}, 400, "Please write some text."),
        ({"channel": "fax", "text": "Hi"}, 400, "I did not understand «fax»."),
        ({"channel": "sms", "text": "Hi", "tier": "diamond"}, 400, "There is no diamond for "),
        ({"channel": "sms", "text": "Hi", "age_min": "40"}, 400, "I did not understand «40-»."),
        ({"channel": "sms", "text": "Hi", "inactive_days": "lots"}, 400, "I did not understand"),
        ({"channel": "sms", "text": "Hi", "when": "2020-01-01 10:00"}, 400, "That time has"),
        ({"channel": "sms", "text": "x" * 1001}, 400, "That text is too long: at most 1,000"),
        ({"channel": "sms", "text": "Hi", "request": "short"}, 400, FORM_OUT_OF_DATE),
    ]
    for values, status, said in cases:
        response = await client.post(CAMPAIGNS, data={**form, **values})
        assert response.status == status, values
        assert text_of(await response.text(), "message").startswith(said), values
    assert await Campaign.all().count() == 0


async def test_a_cashier_is_refused_campaigns_and_a_form_needs_its_csrf_token(
    bot: Harness, client: TestClient
) -> None:
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    await signed_in(client, bot, OWNER)
    form = await form_of(client, CAMPAIGNS, "new-campaign")
    posted = {**form, "channel": "telegram", "text": "Sale"}
    for csrf in (None, "0" * 64):
        forged = {k: v for k, v in posted.items() if k != "csrf"}
        if csrf is not None:
            forged["csrf"] = csrf
        refused = await client.post(CAMPAIGNS, data=forged)
        assert refused.status == 403 and await refused.text() == FORM_OUT_OF_DATE
    assert await Campaign.all().count() == 0

    client.session.cookie_jar.clear()
    await signed_in(client, bot, CASHIER)
    home = await (await client.get("/club/panel/")).text()
    assert page(home).xpath('//a[@id="nav-campaigns"]') == []
    assert page(home).xpath('//a[@id="nav-inbox"]') != []  # the inbox is every staff's
    refused = await client.get(CAMPAIGNS)
    assert refused.status == 403
    assert text_of(await refused.text(), "refused") == "Only the owner and managers can do this."
    # Signed in, with the session's own token, still refused: the permission, not the form.
    token = await _csrf_of_page(client)
    refused = await client.post(CAMPAIGNS, data={**posted, "csrf": token})
    assert refused.status == 403
    assert await Campaign.all().count() == 0


async def _csrf_of_page(client: TestClient) -> str:
    """The session's CSRF token, as the reply form of an inbox item carries it."""
    member = await helpers.member(NOW, first_name="Writer", telegram_id=909)
    item = await member_inbox.send_message(member.id, "Hello", channel=Channel.TELEGRAM, now=NOW)
    html = await (await client.get(f"/club/panel/inbox/{item.id}")).text()
    return page(html).xpath("//form[@id='reply']//input[@name='csrf']")[0].get("value")


async def test_an_answer_from_the_inbox_reaches_the_outbox_with_its_text(
    bot: Harness, client: TestClient
) -> None:
    sara = await helpers.member(NOW, first_name="Sara", last_name="Rad", telegram_id=501)
    item = await member_inbox.send_message(
        sara.id, "Is the shop open on Friday?", channel=Channel.TELEGRAM, now=NOW
    )
    await signed_in(client, bot, OWNER)
    html = await (await client.get("/club/panel/inbox")).text()
    row = page(html).get_element_by_id(f"item-{item.id}")
    assert "Sara Rad" in row.text_content() and "Is the shop open on Friday?" in row.text_content()
    opened = await (await client.get(f"/club/panel/inbox/{item.id}")).text()
    assert text_of(opened, "text") == "Is the shop open on Friday?"
    form = await form_of(client, f"/club/panel/inbox/{item.id}", "reply")
    answer = "Yes, from 10 to 22. Welcome!"
    for _ in range(2):  # a double click: answered once, and said so both times
        response = await client.post(
            f"/club/panel/inbox/{item.id}/reply",
            data={**form, "text": f" {answer} "},
            allow_redirects=False,
        )
        assert response.status == 303
        assert response.headers["Location"] == f"/club/panel/inbox?answered={item.id}"
    shown = await (await client.get(response.headers["Location"])).text()
    assert text_of(shown, "message") == f"Answer to #{item.id} sent to the member."
    assert text_of(shown, "empty") == "The inbox is empty."
    [reply] = await OutboxMessage.all()
    assert (reply.member_id, reply.template, reply.params, reply.channel, reply.key) == (
        sara.id,
        "staff_reply",
        {"text": answer},
        Channel.TELEGRAM,
        f"inbox_reply:{item.id}",
    )
    answered = await InboxItem.get(id=item.id)
    assert answered.answer == answer and answered.answered_at == NOW
    assert await AuditEntry.filter(action="inbox_answer").count() == 1
    opened = await (await client.get(f"/club/panel/inbox/{item.id}")).text()
    assert text_of(opened, "answer") == answer and page(opened).xpath("//form[@id='reply']") == []

    other = await member_inbox.send_message(sara.id, "Thanks", channel=Channel.TELEGRAM, now=NOW)
    empty = await client.post(f"/club/panel/inbox/{other.id}/reply", data={**form, "text": " "})
    assert empty.status == 400 and text_of(await empty.text(), "message") == (
        "Please write some text."
    )
    missing = await client.get("/club/panel/inbox/999999")
    assert missing.status == 404
    assert await OutboxMessage.all().count() == 1


async def test_a_message_to_a_member_is_queued_once_by_the_channel_chosen(
    bot: Harness, client: TestClient
) -> None:
    sara = await helpers.member(NOW, first_name="Sara", phone="09121110000")  # no Telegram
    path = f"/club/panel/members/{sara.id}"
    await signed_in(client, bot, OWNER)
    form = await form_of(client, path, "message-member")
    text = "Your order has arrived: collect it at the North branch."
    refused = await client.post(
        f"{path}/message", data={**form, "channel": "telegram", "text": text}
    )
    assert refused.status == 400
    assert text_of(await refused.text(), "message") == "This member cannot be reached on Telegram."
    for _ in range(2):
        response = await client.post(
            f"{path}/message", data={**form, "channel": "sms", "text": text}
        )
        assert response.status == 200
        assert text_of(await response.text(), "message") == (
            "Your message to the member is on its way by SMS."
        )
    owner = await Staff.get(telegram_id=OWNER)
    [queued] = await OutboxMessage.all()
    assert (queued.member_id, queued.template, queued.params, queued.channel, queued.key) == (
        sara.id,
        "staff_message",
        {"text": text},
        Channel.SMS,
        f"staff_message:panel:{owner.id}:{form['request']}",
    )
    [audit] = await AuditEntry.filter(action="member_message")
    assert audit.staff_id == owner.id
    assert audit.details == {"member": sara.id, "channel": "sms", "message": queued.id}
    empty = await client.post(f"{path}/message", data={**form, "channel": "sms", "text": "  "})
    assert empty.status == 400
    assert text_of(await empty.text(), "message") == "Please write some text."
    assert await OutboxMessage.all().count() == 1
    async with FakeKavenegar() as kave:  # the outbox's sender delivers it, in her language
        sender = OutboxSender(bot=None, gateway=gateway(kave), tz=TEHRAN)
        assert (await sender.drain(NOW)).sent == 1
    assert [(to, said) for to, said, _ in kave.delivered] == [
        ("09121110000", f"پیام باشگاه: {text}")
    ]


async def test_a_new_card_replaces_the_lost_one_once(bot: Harness, client: TestClient) -> None:
    sara = await helpers.member(NOW, first_name="Sara", last_name="Rad", phone="09121110000")
    old = (await Card.get(member_id=sara.id, active=True)).number
    path = f"/club/panel/members/{sara.id}"
    await signed_in(client, bot, OWNER)
    form = await form_of(client, path, "new-card")
    for _ in range(2):
        response = await client.post(f"{path}/card", data=form)
        assert response.status == 200
        html = await response.text()
        new = (await Card.get(member_id=sara.id, active=True)).number
        assert text_of(html, "message") == (
            f"New card for Sara Rad: {new}. Card {old} no longer works."
        )
        assert text_of(html, "card") == new
    assert await Card.filter(member_id=sara.id).count() == 2
    assert await AuditEntry.filter(action="card_replaced").count() == 1
    assert await bot.send(OWNER, f"/member {old}") == [
        f"Card {old} was replaced by a new card and no longer works."
    ]
    found = await client.get("/club/panel/members", params={"q": old})
    assert text_of(await found.text(), "total") == "Members found: 0"
    bad = await client.post(f"{path}/card", data={**form, "request": "x"})
    assert bad.status == 400 and text_of(await bad.text(), "message") == FORM_OUT_OF_DATE
    assert await Card.filter(member_id=sara.id).count() == 2


async def test_a_branch_manager_reaches_their_branch_only(bot: Harness, client: TestClient) -> None:
    owner = await Staff.get_or_none(telegram_id=OWNER) or await identify(OWNER, [OWNER])
    north = await places.add_branch(owner, "North", now=NOW)
    south = await places.add_branch(owner, "South", now=NOW)
    await Staff.create(
        telegram_id=MANAGER, role=StaffRole.MANAGER, branch_id=north.id, created_at=NOW
    )
    theirs = await helpers.member(NOW, first_name="Sahar", branch_id=south.id, telegram_id=502)
    everyone = await campaigns.create({}, "telegram", "For all", staff_id=owner.id, now=NOW)
    await signed_in(client, bot, MANAGER)
    html = await (await client.get(CAMPAIGNS)).text()
    assert page(html).xpath("//table[@id='campaigns']") == []  # the club's campaign: not theirs
    options = page(html).xpath("//select[@id='branch']/option/@value")
    assert options == ["", str(north.id)]
    form = await form_of(client, CAMPAIGNS, "new-campaign")
    posted = {**form, "channel": "telegram", "text": "North only"}
    elsewhere = await client.post(CAMPAIGNS, data={**posted, "branch_id": str(south.id)})
    assert elsewhere.status == 400
    assert text_of(await elsewhere.text(), "message") == (
        f"You manage branch {north.id}: only its members can be chosen."
    )
    created = await client.post(CAMPAIGNS, data=posted, allow_redirects=False)
    assert created.status == 303
    mine = await Campaign.get(text="North only")
    assert mine.audience == {"branch_id": north.id}
    refused = await client.post(f"{CAMPAIGNS}/{everyone.id}/cancel", data={"csrf": form["csrf"]})
    assert refused.status == 404
    assert text_of(await refused.text(), "message") == "No such campaign."
    assert (await Campaign.get(id=everyone.id)).status == "scheduled"
    message = await client.post(
        f"/club/panel/members/{theirs.id}/message",
        data={**form, "channel": "telegram", "text": "Hello"},
    )
    assert message.status == 403
    card = await client.post(f"/club/panel/members/{theirs.id}/card", data=form)
    assert card.status == 403
    assert await OutboxMessage.all().count() == 0
    assert await Card.filter(member_id=theirs.id).count() == 1


async def test_counting_the_reach_creates_nothing_and_keeps_the_form(
    bot: Harness, client: TestClient
) -> None:
    await helpers.member(NOW, first_name="Sara", telegram_id=501)
    await helpers.member(NOW, first_name="Ali")  # a phone, no Telegram
    gold = await helpers.member(NOW, first_name="Gold", telegram_id=503)
    await Member.filter(id=gold.id).update(tier_id=(await Tier.get(code="gold")).id)
    await signed_in(client, bot, OWNER)
    form = await form_of(client, CAMPAIGNS, "new-campaign")
    posted = {
        **form,
        "tier": "bronze",
        "channel": "telegram_sms",
        "text": "Sale",
        "age_min": "",
        "preview": "1",
    }
    response = await client.post(CAMPAIGNS, data=posted)
    assert response.status == 200
    html = await response.text()
    assert text_of(html, "message") == (
        "It reaches 2 members: 1 on Telegram, 1 by SMS (1 SMS parts)."
    )
    assert page(html).xpath("//select[@id='tier']/option[@selected]/@value") == ["bronze"]
    assert page(html).xpath("//select[@id='channel']/option[@selected]/@value") == ["telegram_sms"]
    assert text_of(html, "text") == "Sale"
    assert await Campaign.all().count() == 0
