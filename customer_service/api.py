"""HTTP routes of the bot: the customer channel (conversation token), the agents' side (API key with
`bot.agent`), and the web chat page. Each route is a few lines over `customer_service.channel`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field

from customer_service import channel
from customer_service.settings import MAX_MESSAGE_CHARS
from customer_service.workspace import Workspaces
from shared.http.access import api_state, grant_for, limit_anonymous, optional_key, requires
from shared.http.errors import Unauthorized
from shared.http.keys import KeyIdentity

router = APIRouter(tags=["bot"])
CHAT_PAGE = Path(__file__).with_name("static") / "chat.html"
Workspace = Annotated[str, PathParam(max_length=100, description="Workspace name.")]
ConversationId = Annotated[int, PathParam(ge=1, le=2**62)]


@lru_cache(maxsize=1)
def get_workspaces() -> Workspaces:
    """The default service: the bot's database (`VERTICALS_BOT_DB` or the home's SQLite file)."""
    from customer_service.store import Store
    from shared.encoders import load_encoder
    from shared.http.batching import BatchingEncoder

    # concurrent customers' queries are encoded together (one forward pass) instead of one by one
    return Workspaces(Store(), encoder_loader=lambda name: BatchingEncoder(load_encoder(name)))


def resource(workspace: str, conversation_id: int) -> str:
    return f"bot/{workspace}/conversation/{conversation_id}"


def ready(get: Callable[[Callable[[], Any]], Any]) -> str:
    names = get(get_workspaces).names()
    return f"{len(names)} workspace(s)"


def warm(get: Callable[[Callable[[], Any]], Any]) -> None:
    """Load every workspace's encoder, index and intent model so the first customer does not wait."""
    ws: Workspaces = get(get_workspaces)
    for name in ws.names():
        ws.bot(name).decide("hello")


# ---- schemas ------------------------------------------------------------------------------------------
class Opened(BaseModel):
    conversation_id: int
    token: str = Field(description="Send as X-Conversation-Token; it opens this conversation only.")


class CustomerMessage(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class Source(BaseModel):
    n: int | None
    label: str
    text: str


class Reply(BaseModel):
    conversation_id: int
    message_id: int
    status: str = Field(description="answered | handed_over")
    route: str = Field(description="template | retrieval | handoff")
    text: str
    reply_id: int | None
    sources: list[Source]
    intent: str | None
    confidence: float


class Message(BaseModel):
    id: int
    role: str = Field(description="customer | bot | agent")
    text: str
    created_at: datetime


class Conversation(BaseModel):
    conversation_id: int
    status: str
    messages: list[Message]


class Waiting(BaseModel):
    conversation_id: int
    title: str
    updated_at: datetime


class AgentMessage(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class Sent(BaseModel):
    message_id: int


def _messages(rows: list[channel.ChannelMessage]) -> list[Message]:
    return [Message(id=m.id, role=m.role, text=m.text, created_at=m.created_at) for m in rows]


# ---- customer channel ---------------------------------------------------------------------------------
@router.post("/v1/bot/{workspace}/conversations", response_model=Opened, status_code=201,
             summary="Open a customer conversation")
def open_conversation(request: Request, workspace: Workspace, ws: Workspaces = Depends(get_workspaces),
                      key: KeyIdentity | None = Depends(optional_key)) -> Opened:
    if key is not None:
        from shared.auth import require

        require(key, "bot.channel")
    elif not api_state(request).settings.public_chat:
        raise Unauthorized("opening a conversation needs an API key with the bot.channel scope")
    else:
        limit_anonymous(request)
    ws.get(workspace)  # unknown workspace → 404 before anything is stored
    cid = channel.open_conversation(ws, workspace)
    return Opened(conversation_id=cid, token=api_state(request).keys.grant(resource(workspace, cid)))


@router.post("/v1/bot/{workspace}/conversations/{conversation_id}/messages", response_model=Reply,
             summary="The customer writes; the bot answers or hands over")
def post_message(request: Request, workspace: Workspace, conversation_id: ConversationId, body: CustomerMessage,
                 ws: Workspaces = Depends(get_workspaces)) -> Reply:
    grant_for(request, resource(workspace, conversation_id))
    r = channel.post(ws, workspace, conversation_id, body.text)
    api_state(request).metrics.bot_routes.labels(workspace, r.route).inc()
    return Reply(conversation_id=r.conversation_id, message_id=r.message_id, status=r.status, route=r.route,
                 text=r.text, reply_id=r.reply_id, sources=[Source(**s) for s in r.sources], intent=r.intent,
                 confidence=r.confidence)


@router.get("/v1/bot/{workspace}/conversations/{conversation_id}", response_model=Conversation,
            summary="The conversation as the customer sees it (poll with `after`)")
def read_conversation(request: Request, workspace: Workspace, conversation_id: ConversationId,
                      after: Annotated[int, Query(ge=0, le=2**62)] = 0,
                      ws: Workspaces = Depends(get_workspaces)) -> Conversation:
    grant_for(request, resource(workspace, conversation_id))
    rows = channel.messages(ws, workspace, conversation_id, after)
    return Conversation(conversation_id=conversation_id, status=channel.conversation_status(ws, workspace,
                                                                                            conversation_id),
                        messages=_messages(rows))


@router.get("/v1/bot/{workspace}/conversations/{conversation_id}/events", summary="New messages as server-sent events",
            response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
async def events(request: Request, workspace: Workspace, conversation_id: ConversationId,
                 after: Annotated[int, Query(ge=0, le=2**62)] = 0,
                 ws: Workspaces = Depends(get_workspaces)) -> StreamingResponse:
    # database reads off the event loop: other streams and requests keep flowing meanwhile
    await asyncio.to_thread(grant_for, request, resource(workspace, conversation_id))
    await asyncio.to_thread(channel.conversation_status, ws, workspace, conversation_id)  # unknown → 404 now
    last = request.headers.get("last-event-id", "")
    start = int(last) if last.isdigit() else after
    interval = api_state(request).settings.sse_interval_s

    async def stream() -> AsyncIterator[bytes]:
        seen = start
        yield b"retry: 2000\n\n"
        while not await request.is_disconnected():
            rows = await asyncio.to_thread(channel.messages, ws, workspace, conversation_id, seen)
            for m in rows:
                seen = m.id
                data = json.dumps({"id": m.id, "role": m.role, "text": m.text, "created_at": m.created_at.isoformat()})
                yield f"id: {m.id}\nevent: message\ndata: {data}\n\n".encode()
            if not rows:
                yield b": keep-alive\n\n"
            await asyncio.sleep(interval)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# ---- agents -------------------------------------------------------------------------------------------
@router.get("/v1/bot/{workspace}/handoffs", response_model=list[Waiting],
            summary="Conversations waiting for an agent")
def handoffs(workspace: Workspace, ws: Workspaces = Depends(get_workspaces),
             who: KeyIdentity = Depends(requires("bot.chat"))) -> list[Waiting]:
    return [Waiting(conversation_id=c.id, title=c.title, updated_at=c.updated_at)
            for c in channel.waiting(ws, workspace, actor=who)]


@router.post("/v1/bot/{workspace}/conversations/{conversation_id}/replies", response_model=Sent, status_code=201,
             summary="An agent replies to the customer")
def agent_reply(workspace: Workspace, conversation_id: ConversationId, body: AgentMessage,
                ws: Workspaces = Depends(get_workspaces), who: KeyIdentity = Depends(requires("bot.chat"))) -> Sent:
    return Sent(message_id=channel.agent_reply(ws, workspace, conversation_id, body.text, actor=who))


# ---- the web chat page --------------------------------------------------------------------------------
@router.get("/chat/{workspace}", response_class=HTMLResponse, include_in_schema=False)
def chat_page(workspace: Workspace, ws: Workspaces = Depends(get_workspaces)) -> HTMLResponse:
    ws.get(workspace)
    html = CHAT_PAGE.read_text(encoding="utf-8").replace(
        "__WORKSPACE_JSON__", json.dumps(workspace).replace("<", "\\u003c"))
    return HTMLResponse(html, headers={"Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline' "
                                                                  "'self'; style-src 'unsafe-inline'"})
