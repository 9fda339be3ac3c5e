"""The bot's persistent state through SQLAlchemy (SQLite by default; PostgreSQL by URL).

Workspaces, documents and their chunks (with cached embeddings, so restarts do not re-encode),
conversations, messages, the bot's proposals with sources and scores, what the agent actually sent,
ratings and handoffs. Every public write is one transaction: it happens whole or not at all.

Customer messages, the bot's proposals and the agent's replies pass through the workspace's redaction
policy (its `redaction` setting, shared/pii/policy.py) before they are written; `Store(redactor=...)`
replaces it for every workspace.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.engine import Inspector
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from customer_service.errors import (
    RedactionUnavailableError,
    UnknownConversationError,
    UnknownDocumentError,
    UnknownWorkspaceError,
    WorkspaceExistsError,
)
from customer_service.ingest import ChunkData, ParsedDocument
from customer_service.projection import QueryProjection
from shared import audit
from shared.auth import SYSTEM, Identity, require
from shared.db import Chain, UTCDateTime, open_database, resolve_url
from shared.names import check_name


def default_redactor() -> Callable[[str], str]:
    """The suite's default redaction policy (shared/pii/policy.py). Replace via `Store(redactor=...)`.

    A `shared.pii` that fails to import is an error: falling back to "no redaction" would store customers'
    personal data in clear without anyone noticing.
    """
    try:
        from shared.pii.policy import default_policy
    except ImportError as exc:
        raise RedactionUnavailableError(
            f"The PII redaction (shared.pii) cannot be imported ({exc}), so customer text cannot be stored "
            "safely. Reinstall with ./scripts/install, or pass an explicit `Store(redactor=...)`."
        ) from exc
    return default_policy().redact


DB_ENV = "VERTICALS_BOT_DB"
DB_FILE = "customer_service.db"


def default_url() -> str:
    """`$VERTICALS_BOT_DB` if set (e.g. a PostgreSQL URL), else SQLite under `$VERTICALS_HOME`."""
    return resolve_url(None, env_var=DB_ENV, db_file=DB_FILE)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Workspace(Base):
    __tablename__ = "workspaces"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Bumped in the same transaction as every document change, so each process's in-memory index
    # can tell it is stale (another process ingested or deleted) and reload.
    kb_version: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(64))
    n_chars: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    chunks: Mapped[list[Chunk]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                                 order_by="Chunk.position")


class Chunk(Base):
    __tablename__ = "chunks"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    encoder: Mapped[str] = mapped_column(String(500))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    document: Mapped[Document] = relationship(back_populates="chunks")


class ChunkVector(Base):
    """A chunk's embedding by the workspace's index encoder (customer_service/projection.py); deleted with it."""
    __tablename__ = "chunk_vectors"
    chunk_id: Mapped[int] = mapped_column(ForeignKey("chunks.id", ondelete="CASCADE"), primary_key=True)
    encoder: Mapped[str] = mapped_column(String(500), primary_key=True)
    embedding: Mapped[bytes] = mapped_column(LargeBinary)


class ProjectionRow(Base):
    """The fitted query projection of a workspace (one per workspace, replaced when refitted)."""
    __tablename__ = "projections"
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    target: Mapped[str] = mapped_column(String(500))
    rows: Mapped[int] = mapped_column(Integer)
    n_fit: Mapped[int] = mapped_column(Integer)
    weights: Mapped[bytes] = mapped_column(LargeBinary)


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | handoff | resolved
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # customer | agent
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), nullable=True)
    # Which agent wrote an agent message (the signed-in identity's name); None for customer messages.
    author: Mapped[str | None] = mapped_column(String(320), nullable=True)


class Proposal(Base):
    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(Integer)  # the customer message it answers
    route: Mapped[str] = mapped_column(String(20))  # template | retrieval | handoff
    intent: Mapped[str | None] = mapped_column(String(100), nullable=True)
    intent_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    retrieval_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    confidence: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    sources: Mapped[list] = mapped_column(JSON, default=list)
    generated: Mapped[bool] = mapped_column(Boolean, default=False)
    latency_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)  # +1 / -1


class Handoff(Base):
    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    by: Mapped[str] = mapped_column(String(20))  # bot | agent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


def _baseline(inspector: Inspector) -> str:
    """The revision a store made before migrations holds (released schemas, see migrations/versions)."""
    if "kb_version" not in {c["name"] for c in inspector.get_columns("workspaces")}:
        return "bot_0001"
    tables = set(inspector.get_table_names())
    return "bot_0003" if {"chunk_vectors", "projections"} <= tables else "bot_0002"


# The audit trail (shared/audit.py) lives beside the bot's tables: written in the same transactions.
TRAIL = audit.make_table(audit.table_name("bot"), Base.metadata)
record_audit = functools.partial(audit.record, table=TRAIL)
CHAIN = Chain("bot", Base.metadata, str(Path(__file__).with_name("migrations")), env_var=DB_ENV,
              db_file=DB_FILE, baseline=_baseline)


@dataclass(frozen=True)
class ChunkView:
    """A chunk detached from the session, with its document's name."""
    id: int
    document_id: int
    document: str
    position: int
    text: str
    meta: dict
    embedding: bytes


def _vec_to_blob(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype=np.float32).tobytes()


def blob_to_vec(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


class Store:
    def __init__(self, url: str | None = None, *, redactor: Callable[[str], str] | None = None) -> None:
        self.redact = redactor or default_redactor()  # first: no database is created without redaction
        self.db = open_database(CHAIN, url)
        self.url, self.engine = self.db.url, self.db.engine
        self._redactor = redactor  # injected: used for every workspace; else each workspace's own policy

    def redactor_for(self, s: Session, conversation_id: int) -> Callable[[str], str]:
        """The redaction of the conversation's workspace (its `redaction` setting; shared/pii/policy.py)."""
        if self._redactor is not None:
            return self._redactor
        from shared.pii.policy import policy_for

        conv = s.get(Conversation, conversation_id)
        ws = s.get(Workspace, conv.workspace_id) if conv is not None else None
        return policy_for((ws.settings or {}).get("redaction") if ws is not None else None).redact

    def session(self) -> AbstractContextManager[Session]:
        """One transaction: committed on success, rolled back on any exception."""
        return self.db.session()

    def dispose(self) -> None:
        self.db.dispose()

    # ---- workspaces ----------------------------------------------------------------------------------
    def create_workspace(self, name: str, settings: dict[str, Any], now: datetime | None = None, *,
                         actor: Identity | None = None) -> Workspace:
        name = check_name(name.strip(), "workspace")  # it becomes a folder name (exports) and a key
        with self.session() as s:
            if s.scalar(select(Workspace).where(Workspace.name == name)):
                raise WorkspaceExistsError(f"A workspace named {name!r} already exists; pick another name.")
            ws = Workspace(name=name, settings=settings, created_at=now or utcnow(), kb_version=0)
            s.add(ws)
            s.flush()
            record_audit(s, actor, "workspace.create", f"workspace {name}", None, {"id": ws.id}, now=ws.created_at)
            return ws

    def workspace(self, name: str) -> Workspace:
        with self.session() as s:
            ws = s.scalar(select(Workspace).where(Workspace.name == name))
            if ws is None:
                known = s.scalars(select(Workspace.name).order_by(Workspace.name)).all()
                raise UnknownWorkspaceError(f"No workspace named {name!r}; known workspaces: {list(known)}. "
                                            "Create it with `verticals bot workspaces create NAME`.")
            return ws

    def workspaces(self) -> list[Workspace]:
        with self.session() as s:
            return list(s.scalars(select(Workspace).order_by(Workspace.name)))

    def save_settings(self, workspace_id: int, settings: dict[str, Any], *, actor: Identity | None = None,
                      now: datetime | None = None) -> None:
        """Replace the settings; the audit row holds the top-level sections that changed (templates, handoff…)."""
        with self.session() as s:
            ws = s.get(Workspace, workspace_id)
            old = ws.settings or {}
            changed = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
            ws.settings = settings
            if changed:
                record_audit(s, actor, "workspace.settings", f"workspace {ws.name}: {', '.join(changed)}",
                             {k: old.get(k) for k in changed}, {k: settings.get(k) for k in changed}, now=now)

    def delete_workspace(self, name: str, *, actor: Identity | None = None, now: datetime | None = None) -> None:
        ws = self.workspace(name)
        with self.session() as s:
            record_audit(s, actor, "workspace.delete", f"workspace {name}", {"id": ws.id}, None, now=now)
            for model in (Chunk, Document):
                s.query(model).filter(model.workspace_id == ws.id).delete()
            conv_ids = select(Conversation.id).where(Conversation.workspace_id == ws.id)
            for model in (Message, Proposal, Handoff):
                s.query(model).filter(model.conversation_id.in_(conv_ids)).delete(synchronize_session=False)
            s.query(Conversation).filter(Conversation.workspace_id == ws.id).delete()
            s.delete(s.get(Workspace, ws.id))

    # ---- documents and chunks ------------------------------------------------------------------------
    def documents(self, workspace_id: int) -> list[Document]:
        with self.session() as s:
            return list(s.scalars(select(Document).where(Document.workspace_id == workspace_id)
                                  .order_by(Document.name)))

    def document(self, workspace_id: int, name_or_id: str | int) -> Document:
        with self.session() as s:
            q = select(Document).where(Document.workspace_id == workspace_id)
            if isinstance(name_or_id, int) or str(name_or_id).isdigit():
                doc = s.scalar(q.where(Document.id == int(name_or_id)))
            else:
                doc = s.scalar(q.where(Document.name == name_or_id))
            if doc is None:
                raise UnknownDocumentError(f"No document {name_or_id!r} in this workspace; see `verticals bot docs`.")
            return doc

    def find_document(self, workspace_id: int, name: str) -> Document | None:
        with self.session() as s:
            return s.scalar(select(Document).where(Document.workspace_id == workspace_id, Document.name == name))

    def chunks(self, workspace_id: int, document_id: int | None = None) -> list[Chunk]:
        with self.session() as s:
            q = select(Chunk).where(Chunk.workspace_id == workspace_id)
            if document_id is not None:
                q = q.where(Chunk.document_id == document_id)
            return list(s.scalars(q.order_by(Chunk.document_id, Chunk.position)))

    def chunks_by_id(self, ids: list[int]) -> dict[int, ChunkView]:
        if not ids:
            return {}
        with self.session() as s:
            rows = s.execute(select(Chunk, Document.name).join(Document, Document.id == Chunk.document_id)
                             .where(Chunk.id.in_(ids))).all()
            return {c.id: ChunkView(id=c.id, document_id=c.document_id, document=name, position=c.position,
                                    text=c.text, meta={**(c.meta or {}), "document": name},
                                    embedding=c.embedding) for c, name in rows}

    def upsert_document(self, workspace_id: int, parsed: ParsedDocument, vectors: np.ndarray,
                        encoder: str, reuse: dict[str, int], now: datetime | None = None, *,
                        actor: Identity | None = None) -> tuple[Document, list[int], list[int]]:
        """Replace a document's chunks in one transaction.

        `reuse` maps content hash -> existing chunk id to keep (same text, same embedding).
        Returns (document, ids of chunks added, ids of chunks removed).
        """
        now = now or utcnow()
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.workspace_id == workspace_id,
                                                  Document.name == parsed.name))
            if doc is None:
                doc = Document(workspace_id=workspace_id, name=parsed.name, created_at=now,
                               kind=parsed.kind, content_hash=parsed.content_hash, n_chars=parsed.n_chars,
                               updated_at=now)
                s.add(doc)
                s.flush()
                old: list[Chunk] = []
                before = None
            else:
                old = list(s.scalars(select(Chunk).where(Chunk.document_id == doc.id)))
                before = {"hash": doc.content_hash[:12], "chars": doc.n_chars, "chunks": len(old)}
            doc.kind, doc.content_hash, doc.n_chars, doc.updated_at = (parsed.kind, parsed.content_hash,
                                                                       parsed.n_chars, now)
            kept = {cid for cid in reuse.values()}
            removed = [c.id for c in old if c.id not in kept]
            for c in old:
                if c.id not in kept:
                    s.delete(c)
            by_id = {c.id: c for c in old}
            unused = dict(reuse)  # a repeated chunk text reuses the old row once, then gets new rows
            added: list[Chunk] = []
            for chunk, vec in zip(parsed.chunks, vectors):
                cid = unused.pop(chunk.content_hash, None)
                if cid is not None and cid in by_id:
                    row = by_id[cid]
                    row.position, row.start, row.end, row.meta = chunk.position, chunk.start, chunk.end, chunk.meta
                    continue
                row = _chunk_row(chunk, doc, workspace_id, vec, encoder)
                s.add(row)
                added.append(row)
            s.get(Workspace, workspace_id).kb_version += 1
            s.flush()
            record_audit(s, actor, "kb.ingest", f"document {parsed.name}", before,
                         {"hash": parsed.content_hash[:12], "chars": parsed.n_chars, "chunks": len(parsed.chunks)},
                         now=now)
            return doc, [c.id for c in added], removed

    def delete_document(self, workspace_id: int, name_or_id: str | int, *, actor: Identity | None = None,
                        now: datetime | None = None) -> list[int]:
        doc = self.document(workspace_id, name_or_id)
        with self.session() as s:
            ids = list(s.scalars(select(Chunk.id).where(Chunk.document_id == doc.id)))
            record_audit(s, actor, "kb.delete", f"document {doc.name}",
                         {"hash": doc.content_hash[:12], "chars": doc.n_chars, "chunks": len(ids)}, None, now=now)
            s.query(Chunk).filter(Chunk.document_id == doc.id).delete()
            s.delete(s.get(Document, doc.id))
            s.get(Workspace, workspace_id).kb_version += 1
            return ids

    def kb_version(self, workspace_id: int) -> int:
        with self.session() as s:
            return int(s.scalar(select(Workspace.kb_version).where(Workspace.id == workspace_id)) or 0)

    def set_embeddings(self, vectors: dict[int, np.ndarray], encoder: str) -> None:
        with self.session() as s:
            for cid, vec in vectors.items():
                row = s.get(Chunk, cid)
                row.embedding, row.encoder = _vec_to_blob(vec), encoder

    def index_vectors(self, workspace_id: int, encoder: str) -> dict[int, np.ndarray]:
        """The workspace's chunk embeddings by the index encoder `encoder` (chunks without one are absent)."""
        with self.session() as s:
            rows = s.execute(select(ChunkVector.chunk_id, ChunkVector.embedding)
                             .join(Chunk, Chunk.id == ChunkVector.chunk_id)
                             .where(Chunk.workspace_id == workspace_id, ChunkVector.encoder == encoder)).all()
            return {cid: blob_to_vec(blob) for cid, blob in rows}

    def set_index_vectors(self, vectors: dict[int, np.ndarray], encoder: str) -> None:
        with self.session() as s:
            for cid, vec in vectors.items():
                s.merge(ChunkVector(chunk_id=cid, encoder=encoder, embedding=_vec_to_blob(vec)))

    def projection(self, workspace_id: int) -> QueryProjection | None:
        with self.session() as s:
            row = s.get(ProjectionRow, workspace_id)
            if row is None:
                return None
            weights = blob_to_vec(row.weights).reshape(row.rows, -1).copy()
            return QueryProjection(row.source, row.target, weights, row.n_fit)

    def set_projection(self, workspace_id: int, projection: QueryProjection) -> None:
        with self.session() as s:
            s.merge(ProjectionRow(workspace_id=workspace_id, source=projection.source, target=projection.target,
                                  rows=projection.weights.shape[0], n_fit=projection.n_fit,
                                  weights=_vec_to_blob(projection.weights.reshape(-1))))

    # ---- conversations --------------------------------------------------------------------------------
    def start_conversation(self, workspace_id: int, title: str = "", now: datetime | None = None) -> Conversation:
        now = now or utcnow()
        with self.session() as s:
            conv = Conversation(workspace_id=workspace_id, status="open", title=title[:200],
                                created_at=now, updated_at=now)
            s.add(conv)
            s.flush()
            return conv

    def conversation(self, workspace_id: int, conversation_id: int) -> Conversation:
        with self.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.workspace_id != workspace_id:
                raise UnknownConversationError(f"No conversation {conversation_id} in this workspace.")
            return conv

    def conversations(self, workspace_id: int, status: str | None = None) -> list[Conversation]:
        with self.session() as s:
            q = select(Conversation).where(Conversation.workspace_id == workspace_id)
            if status:
                q = q.where(Conversation.status == status)
            return list(s.scalars(q.order_by(Conversation.updated_at.desc(), Conversation.id.desc())))

    def messages(self, conversation_id: int) -> list[Message]:
        with self.session() as s:
            return list(s.scalars(select(Message).where(Message.conversation_id == conversation_id)
                                  .order_by(Message.id)))

    def customer_texts(self, conversation_id: int, limit: int) -> list[str]:
        """The customer's last `limit` messages, oldest first (what a reply reads, without the whole log)."""
        with self.session() as s:
            rows = s.scalars(select(Message.text).where(Message.conversation_id == conversation_id,
                                                        Message.role == "customer")
                             .order_by(Message.id.desc()).limit(limit))
            return list(rows)[::-1]

    def proposals(self, conversation_id: int | None = None, workspace_id: int | None = None) -> list[Proposal]:
        with self.session() as s:
            q = select(Proposal)
            if conversation_id is not None:
                q = q.where(Proposal.conversation_id == conversation_id)
            if workspace_id is not None:
                q = q.join(Conversation, Conversation.id == Proposal.conversation_id).where(
                    Conversation.workspace_id == workspace_id)
            return list(s.scalars(q.order_by(Proposal.id)))

    def proposal(self, proposal_id: int) -> Proposal:
        with self.session() as s:
            p = s.get(Proposal, proposal_id)
            if p is None:
                raise UnknownConversationError(f"No proposal {proposal_id}.")
            return p

    def record_turn(self, conversation_id: int, customer_text: str, proposal: dict[str, Any],
                    handoff_reason: str | None, now: datetime | None = None,
                    send: bool = False) -> tuple[Message, Proposal, Message | None]:
        """Store a customer message and the bot's proposal together (and the handoff, if any).

        `send`: the bot replies itself (the customer channel) in the same transaction, unless it hands
        over or a human already holds the conversation; then the proposal waits for an agent as usual.
        Returns the customer's message, the proposal and the bot's reply message when it sent one.
        """
        now = now or utcnow()
        with self.session() as s:
            conv = s.get(Conversation, conversation_id)
            send = send and not handoff_reason and conv.status != "handoff"
            redact = self.redactor_for(s, conversation_id)
            msg = Message(conversation_id=conversation_id, role="customer", text=redact(customer_text),
                          created_at=now)
            s.add(msg)
            s.flush()
            if proposal.get("text"):  # a template can echo what the customer wrote
                proposal = {**proposal, "text": redact(proposal["text"])}
            prop = Proposal(conversation_id=conversation_id, message_id=msg.id, created_at=now, **proposal)
            s.add(prop)
            if not conv.title:
                conv.title = msg.text[:80]
            if conv.status == "resolved":  # the customer came back: the conversation is open again
                conv.status = "open"
            conv.updated_at = now
            if handoff_reason and conv.status != "handoff":
                conv.status = "handoff"
                s.add(Handoff(conversation_id=conversation_id, reason=handoff_reason[:200], by="bot", created_at=now))
            s.flush()
            reply = None
            if send:
                prop.sent_text, prop.sent_at, prop.edited = prop.text, now, False
                reply = Message(conversation_id=conversation_id, role="agent", text=prop.text, created_at=now,
                                proposal_id=prop.id, author="bot")  # the bot answered by itself
                s.add(reply)
                s.flush()
            return msg, prop, reply

    def record_sent(self, proposal_id: int, text: str, now: datetime | None = None, *,
                    actor: Identity | None = None) -> Message:
        """The agent's reply, with its author, and its audit row (sizes and the edited flag, never the text:
        replies may carry customers' personal data)."""
        now = now or utcnow()
        with self.session() as s:
            prop = s.get(Proposal, proposal_id)
            if prop is None:
                raise UnknownConversationError(f"No proposal {proposal_id}.")
            text = self.redactor_for(s, prop.conversation_id)(text)  # agents paste account details too
            prop.sent_text, prop.sent_at = text, now
            prop.edited = text.strip() != prop.text.strip()
            msg = Message(conversation_id=prop.conversation_id, role="agent", text=text, created_at=now,
                          proposal_id=prop.id, author=(actor or SYSTEM).name)
            s.add(msg)
            s.get(Conversation, prop.conversation_id).updated_at = now
            s.flush()
            record_audit(s, actor, "reply.edit_send" if prop.edited else "reply.send",
                         f"conversation {prop.conversation_id} / proposal {prop.id}",
                         {"route": prop.route, "chars": len(prop.text)},
                         {"chars": len(text), "edited": prop.edited, "message": msg.id}, now=now)
            return msg

    def record_agent_message(self, conversation_id: int, text: str, now: datetime | None = None, *,
                             actor: Identity | None = None) -> Message:
        now = now or utcnow()
        with self.session() as s:
            msg = Message(conversation_id=conversation_id, role="agent",
                          text=self.redactor_for(s, conversation_id)(text), created_at=now,
                          author=(actor or SYSTEM).name)
            s.add(msg)
            s.get(Conversation, conversation_id).updated_at = now
            s.flush()
            record_audit(s, actor, "reply.write", f"conversation {conversation_id}", None,
                         {"chars": len(text), "message": msg.id}, now=now)
            return msg

    def set_rating(self, proposal_id: int, rating: int, *, actor: Identity | None = None,
                   now: datetime | None = None) -> None:
        with self.session() as s:
            prop = s.get(Proposal, proposal_id)
            if prop is None:
                raise UnknownConversationError(f"No proposal {proposal_id}.")
            before = prop.rating
            prop.rating = rating
            record_audit(s, actor, "reply.rate", f"conversation {prop.conversation_id} / proposal {prop.id}",
                         {"rating": before}, {"rating": rating}, now=now)

    def hand_over(self, conversation_id: int, reason: str, by: str, now: datetime | None = None, *,
                  actor: Identity | None = None) -> None:
        now = now or utcnow()
        with self.session() as s:
            conv = s.get(Conversation, conversation_id)
            before = conv.status
            if conv.status != "handoff":
                conv.status = "handoff"
                s.add(Handoff(conversation_id=conversation_id, reason=reason[:200], by=by, created_at=now))
            conv.updated_at = now
            record_audit(s, actor, "conversation.handoff", f"conversation {conversation_id}", {"status": before},
                         {"status": "handoff", "reason": reason[:200]}, now=now)

    def resolve(self, conversation_id: int, now: datetime | None = None, *, actor: Identity | None = None) -> None:
        now = now or utcnow()
        with self.session() as s:
            conv = s.get(Conversation, conversation_id)
            record_audit(s, actor, "conversation.resolve", f"conversation {conversation_id}", {"status": conv.status},
                         {"status": "resolved"}, now=now)
            conv.status, conv.updated_at = "resolved", now
            for h in s.scalars(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                                     Handoff.resolved_at.is_(None))):
                h.resolved_at = now

    def handoffs(self, workspace_id: int) -> list[Handoff]:
        with self.session() as s:
            return list(s.scalars(select(Handoff).join(Conversation, Conversation.id == Handoff.conversation_id)
                                  .where(Conversation.workspace_id == workspace_id).order_by(Handoff.id)))

    def audit_trail(self, *, actor: Identity | None = None, since: datetime | None = None,
                    action: str | None = None, limit: int | None = 1000) -> list[audit.AuditEntry]:
        """Who sent, handed over, rated, changed the knowledge base or settings (newest first); supervisors."""
        require(actor, "bot.supervise")
        return audit.entries(self.engine, since=since, action=action, limit=limit, table=TRAIL)

    def count_chunks(self, workspace_id: int) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count(Chunk.id)).where(Chunk.workspace_id == workspace_id)))


def _chunk_row(chunk: ChunkData, doc: Document, workspace_id: int, vec: np.ndarray, encoder: str) -> Chunk:
    return Chunk(document_id=doc.id, workspace_id=workspace_id, position=chunk.position, start=chunk.start,
                 end=chunk.end, text=chunk.text, meta=json.loads(json.dumps(chunk.meta)),
                 content_hash=chunk.content_hash, encoder=encoder, embedding=_vec_to_blob(vec))
