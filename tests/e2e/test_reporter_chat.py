"""The reporter's chat: a message written without a connection is kept, shown as waiting and
sent once when the connection returns, as is one whose answer was lost on the way; a message
the server refuses is said beside the form and does not block the next one."""

from __future__ import annotations

from playwright.sync_api import Browser, Route, expect

from tests.e2e.reporter_app import (
    kept,
    open_app,
    phone,
    seat,
    seat_messages,
    serious_violations,
    somewhere_in_futian,
)
from tests.support.servers import Server


def test_a_message_written_offline_waits_on_the_page_and_is_sent_once_when_the_connection_returns(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    incident_id = kept(page, "current")["incident_id"]

    context.set_offline(True)
    page.locator("#chat-text").fill("我躲在三楼洗手间")
    page.locator("#chat-form button[type=submit]").tap()

    waiting = page.locator("#queued li[data-state=queued]")
    expect(waiting).to_contain_text("我躲在三楼洗手间")
    expect(waiting).to_contain_text("未发送")
    expect(page.locator("#chat-text")).to_have_value("")
    expect(page.locator("#net")).to_contain_text("消息")
    assert kept(page, "chat")[0]["text"] == "我躲在三楼洗手间"
    assert serious_violations(page) == []

    context.set_offline(False)

    expect(page.locator("#messages .msg.mine")).to_contain_text("我躲在三楼洗手间")
    expect(page.locator("#queued li")).to_have_count(0)
    assert kept(page, "chat") is None
    told = [m["text"] for m in seat_messages(base, incident_id, seat(base)) if m["from"] == "reporter"]
    assert told == ["我躲在三楼洗手间"]
    context.close()


def test_a_message_the_server_refuses_is_said_beside_the_form_and_the_next_one_goes_through(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    incident_id = kept(page, "current")["incident_id"]

    # U+0085 is whitespace to the server (a message with no text) but not to the page.
    page.locator("#chat-text").fill("\u0085")
    page.locator("#chat-form button[type=submit]").tap()

    expect(page.locator("#chat-error")).to_have_text("消息为空或过长，请修改后重试。")  # no server English
    expect(page.locator("#chat-text")).to_have_attribute("aria-invalid", "true")
    page.locator("#lang").tap()
    expect(page.locator("#chat-error")).to_have_text(
        "The message is empty or too long. Change it and try again."
    )
    page.locator("#lang").tap()
    page.locator("#chat-text").fill("我在大厦北门")
    expect(page.locator("#chat-error")).to_be_hidden()
    page.locator("#chat-form button[type=submit]").tap()

    expect(page.locator("#messages .msg.mine")).to_contain_text("我在大厦北门")
    told = [m["text"] for m in seat_messages(base, incident_id, seat(base)) if m["from"] == "reporter"]
    assert told == ["我在大厦北门"]
    context.close()


def test_a_message_whose_answer_was_lost_on_the_way_arrives_once_when_sent_again(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#view-status")).to_be_visible()
    incident_id = kept(page, "current")["incident_id"]
    lost: list[str] = []
    # Retries wait until the page has been seen keeping the message: a retry answered at once
    # would otherwise empty the queue before the test looks.
    held: list[Route] = []
    released: list[bool] = []

    def lose_the_first_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
        elif not lost:
            route.fetch()  # the message reaches the server...
            lost.append(route.request.url)
            route.abort()  # ...but its answer never reaches the phone
        elif released:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/v1/alarms/*/messages", lose_the_first_answer)
    page.locator("#chat-text").fill("the door is locked")
    page.locator("#chat-form button[type=submit]").tap()
    expect(page.locator("#queued .msg")).to_have_count(1)  # no answer: kept as not sent yet
    released.append(True)
    for route in held:
        route.continue_()
    expect(page.locator("#queued .msg")).to_have_count(0, timeout=20_000)  # sent again, and answered
    expect(page.locator("#messages .msg.mine")).to_have_count(1)
    assert lost, "the first answer was not lost"
    sent = [m["text"] for m in seat_messages(base, incident_id, seat(base)) if m["from"] == "reporter"]
    assert sent == ["the door is locked"]
    context.close()
