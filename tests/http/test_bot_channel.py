"""The customer channel over the real FAQ workspace: answers with citations, handoff → the agent's reply
(written through the console's service) reaches the customer by poll and by server-sent events; tokens
open one conversation only; redaction before storage; limits and errors in the one shape."""

from __future__ import annotations

import json

import pytest

from tests.http.conftest import assert_error

WS = "/v1/bot/construction/conversations"
PERMIT = "how long do I wait for a building permit?"
OFF_TOPIC = "Can you recommend a good pizza place?"


def open_conv(client, **headers) -> tuple[int, dict[str, str]]:
    r = client.post(WS, headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    return body["conversation_id"], {"X-Conversation-Token": body["token"]}


def test_customer_question_is_answered_with_citations(bot_client):
    cid, token = open_conv(bot_client)
    r = bot_client.post(f"{WS}/{cid}/messages", json={"text": PERMIT}, headers=token)
    assert r.status_code == 200, r.text
    reply = r.json()
    assert reply["status"] == "answered" and reply["route"] == "retrieval"
    assert "10 weeks" in reply["text"] and "[1]" in reply["text"]
    assert reply["sources"][0]["n"] == 1
    assert "How long does it take to get a building permit?" in reply["sources"][0]["label"]
    conv = bot_client.get(f"{WS}/{cid}", headers=token).json()
    assert conv["status"] == "open"
    assert [(m["role"], m["id"]) for m in conv["messages"]] == [("customer", reply["message_id"]),
                                                                ("bot", reply["reply_id"])]
    assert conv["messages"][1]["text"] == reply["text"]
    # polling with `after` returns only what is new
    assert bot_client.get(f"{WS}/{cid}", params={"after": reply["reply_id"]}, headers=token).json()["messages"] == []
    metrics = bot_client.get("/metrics").text
    assert 'verticals_bot_replies_total{route="retrieval",workspace="construction"} 1.0' in metrics
    assert 'route="/v1/bot/{workspace}/conversations/{conversation_id}/messages",status="200"' in metrics


def test_handoff_then_the_agents_console_reply_reaches_the_customer(bot_client, keys, faq_workspace):
    from customer_service.console import conversation_view

    cid, token = open_conv(bot_client)
    reply = bot_client.post(f"{WS}/{cid}/messages", json={"text": OFF_TOPIC}, headers=token).json()
    assert reply["status"] == "handed_over" and reply["route"] == "handoff" and reply["reply_id"] is None
    assert "colleague" in reply["text"]
    # the agents see it waiting, through an agent key ...
    agent = {"Authorization": "Bearer " + keys.create("helpdesk", "bot.agent")}
    waiting = bot_client.get("/v1/bot/construction/handoffs", headers=agent).json()
    assert [w["conversation_id"] for w in waiting] == [cid]
    # ... and in the console, where the agent edits the pending proposal and sends it (the console's service)
    wid = faq_workspace.get("construction").id
    view = conversation_view(faq_workspace.store, wid, cid)
    assert view.status == "handoff" and view.pending is not None
    faq_workspace.bot("construction").send(view.pending.id, "Try Luigi's on Main Street.")
    conv = bot_client.get(f"{WS}/{cid}", params={"after": reply["message_id"]}, headers=token).json()
    assert conv["status"] == "handoff"
    assert [(m["role"], m["text"]) for m in conv["messages"]] == [("agent", "Try Luigi's on Main Street.")]
    # while an agent holds it, the bot no longer answers by itself, even in scope
    again = bot_client.post(f"{WS}/{cid}/messages", json={"text": PERMIT}, headers=token).json()
    assert again["status"] == "handed_over" and again["reply_id"] is None
    # an agent reply through the API is seen by the customer as the agent's
    sent = bot_client.post(f"{WS}/{cid}/replies", json={"text": "About the permit: 10 weeks."}, headers=agent)
    assert sent.status_code == 201, sent.text
    last = bot_client.get(f"{WS}/{cid}", headers=token).json()["messages"][-1]
    assert (last["id"], last["role"], last["text"]) == (sent.json()["message_id"], "agent",
                                                       "About the permit: 10 weeks.")


def test_agent_reply_arrives_as_a_server_sent_event(bot_client, faq_workspace):
    cid, token = open_conv(bot_client)
    first = bot_client.post(f"{WS}/{cid}/messages", json={"text": OFF_TOPIC}, headers=token).json()
    faq_workspace.bot("construction").reply(cid, "A colleague here: try Luigi's.")
    events = []
    with bot_client.stream("GET", f"{WS}/{cid}/events", params={"after": first["message_id"],
                                                                  "token": token["X-Conversation-Token"]}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                break
    assert [(e["role"], e["text"]) for e in events] == [("agent", "A colleague here: try Luigi's.")]


def test_a_token_opens_its_own_conversation_only(bot_client):
    mine, token = open_conv(bot_client)
    other, other_token = open_conv(bot_client)
    bot_client.post(f"{WS}/{other}/messages", json={"text": PERMIT}, headers=other_token)
    assert_error(bot_client.get(f"{WS}/{other}", headers=token), 403, "wrong_conversation")
    assert_error(bot_client.post(f"{WS}/{other}/messages", json={"text": "hi"}, headers=token), 403,
                 "wrong_conversation")
    assert_error(bot_client.get(f"{WS}/{other}/events", params={"token": token["X-Conversation-Token"]}), 403)
    assert_error(bot_client.get(f"{WS}/{mine}"), 401, "unauthorized")
    assert_error(bot_client.get(f"{WS}/{mine}", headers={"X-Conversation-Token": "forged"}), 401)
    # nothing was written to the other conversation by the refused post
    msgs = bot_client.get(f"{WS}/{other}", headers=other_token).json()["messages"]
    assert [m["role"] for m in msgs] == ["customer", "bot"]


def test_customer_text_is_redacted_before_storage(bot_client, faq_workspace):
    cid, token = open_conv(bot_client)
    text = "I am jane.doe@example.com, " + PERMIT
    reply = bot_client.post(f"{WS}/{cid}/messages", json={"text": text}, headers=token).json()
    stored = [m.text for m in faq_workspace.store.messages(cid) if m.role == "customer"]
    assert stored == ["I am [EMAIL], " + PERMIT]
    assert bot_client.get(f"{WS}/{cid}", headers=token).json()["messages"][0]["text"] == stored[0]
    assert reply["status"] == "answered"


def test_bad_input_gets_one_error_shape_and_stores_nothing(bot_client, faq_workspace):
    cid, token = open_conv(bot_client)
    assert_error(bot_client.post("/v1/bot/nowhere/conversations"), 404, "unknown_workspace")
    assert_error(bot_client.post(f"{WS}/{cid}/messages", json={"text": ""}, headers=token), 422, "validation_error")
    assert_error(bot_client.post(f"{WS}/{cid}/messages", json={"text": "   "}, headers=token), 422,
                 "invalid_message")
    assert_error(bot_client.post(f"{WS}/{cid}/messages", content=b"{not json", headers={
        **token, "Content-Type": "application/json"}), 422, "validation_error")
    assert_error(bot_client.post(f"{WS}/{cid}/messages", json={"text": "x" * 5000}, headers=token), 422)
    assert faq_workspace.store.messages(cid) == []


def test_too_large_bodies_are_refused_declared_or_streamed(keys, faq_workspace):
    from customer_service.api import get_workspaces
    from tests.http.conftest import make_client

    with make_client(keys, [("bot", "customer_service.api:router")], {get_workspaces: lambda: faq_workspace},
                     max_body_bytes=2048) as client:
        cid, token = open_conv(client)
        big = json.dumps({"text": "x" * 4000}).encode()
        assert_error(client.post(f"{WS}/{cid}/messages", content=big,
                                 headers={**token, "Content-Type": "application/json"}), 413, "too_large")

        def chunks():  # no Content-Length: the limit must hold while the body streams in
            for _ in range(8):
                yield b" " * 1024

        assert_error(client.post(f"{WS}/{cid}/messages", content=chunks(),
                                 headers={**token, "Content-Type": "application/json"}), 413, "too_large")
        assert faq_workspace.store.messages(cid) == []


def test_without_public_chat_opening_needs_a_channel_key(keys, faq_workspace):
    from customer_service.api import get_workspaces
    from tests.http.conftest import make_client

    with make_client(keys, [("bot", "customer_service.api:router")], {get_workspaces: lambda: faq_workspace},
                     public_chat=False) as client:
        assert_error(client.post(WS), 401, "unauthorized")
        recs_only = keys.create("shop", "recs")
        assert_error(client.post(WS, headers={"X-API-Key": recs_only}), 403, "permission_denied")
        site = keys.create("website", "bot.channel")
        cid, token = open_conv(client, **{"X-API-Key": site})
        r = client.post(f"{WS}/{cid}/messages", json={"text": PERMIT}, headers=token)
        assert r.json()["status"] == "answered"


@pytest.mark.parametrize("limit", [3])
def test_anonymous_callers_are_rate_limited(keys, faq_workspace, limit):
    from customer_service.api import get_workspaces
    from tests.http.conftest import make_client

    with make_client(keys, [("bot", "customer_service.api:router")], {get_workspaces: lambda: faq_workspace},
                     anonymous_rate_per_minute=limit) as client:
        codes = [client.post(WS).status_code for _ in range(limit + 1)]
        assert codes == [201] * limit + [429]
        r = client.post(WS)
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["Retry-After"]) >= 1


def test_the_channel_on_postgresql(pg_empty_urls, encoder, faq):
    """The same customer flow with the bot's store and the suite database on the PostgreSQL server."""
    from customer_service.api import get_workspaces
    from customer_service.store import Store
    from customer_service.workspace import Workspaces
    from shared.http.keys import KeyStore
    from tests.http.conftest import make_client

    bot_url, suite_url = pg_empty_urls
    ws = Workspaces(Store(bot_url), encoder_loader=lambda name: encoder)
    ws.create("construction")
    ws.knowledge("construction").ingest_faq("faq.jsonl", faq)
    keys = KeyStore(suite_url)
    try:
        with make_client(keys, [("bot", "customer_service.api:router")], {get_workspaces: lambda: ws}) as client:
            cid, token = open_conv(client)
            reply = client.post(f"{WS}/{cid}/messages", json={"text": PERMIT}, headers=token).json()
            assert reply["status"] == "answered" and "10 weeks" in reply["text"]
            other, _ = open_conv(client)
            assert_error(client.get(f"{WS}/{other}", headers=token), 403, "wrong_conversation")
            roles = [m["role"] for m in client.get(f"{WS}/{cid}", headers=token).json()["messages"]]
            assert roles == ["customer", "bot"]
    finally:
        keys.dispose()
        ws.store.engine.dispose()
