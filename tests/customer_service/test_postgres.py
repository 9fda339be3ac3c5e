"""Two support agents' processes answering at once in one workspace on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

from customer_service.store import Store
from customer_service.workspace import Workspaces
from shared.paths import PROJECT_ROOT


def test_two_agent_processes_answer_in_one_workspace(pg_url, encoder, faq):
    ws = Workspaces(Store(pg_url), encoder_loader=lambda name: encoder)
    ws.create("construction")
    ws.knowledge("construction").ingest_faq("faq.jsonl", faq)
    questions = faq["question"].head(6).tolist()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.customer_service.agent_worker", pg_url, "construction",
                               tag, *questions[i::2]], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i, tag in enumerate(("A", "B"))]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
    lines = [line.split() for out, _ in outs for line in out.splitlines()]
    assert sorted(t for t, *_ in lines) == ["A"] * 3 + ["B"] * 3
    store = ws.store
    wid = store.workspace("construction").id
    convs = store.conversations(wid)
    assert len(convs) == 6 and len({c.id for c in convs}) == 6  # no id handed out twice
    props = store.proposals(workspace_id=wid)
    assert sorted(p.id for p in props) == sorted(int(p) for *_, p, _ in lines)
    for p in props:  # every answer stored whole: proposal, customer message and the agent's sent reply
        tag = next(c.title.split(":")[0] for c in convs if c.id == p.conversation_id)
        assert p.sent_text == f"{p.text} ({tag})" and p.route == "retrieval" and p.sources
        assert [m.role for m in store.messages(p.conversation_id)] == ["customer", "agent"]
    store.dispose()
