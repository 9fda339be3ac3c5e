"""A support agent's process for the concurrency test: answers questions in one shared workspace.

python -m tests.customer_service.agent_worker URL WORKSPACE TAG QUESTION...
Prints one line per answered question: "TAG conversation proposal route".
"""

from __future__ import annotations

import sys


def main(url: str, workspace: str, tag: str, questions: list[str]) -> None:
    from customer_service.store import Store
    from customer_service.workspace import Workspaces
    from shared.encoders import load_encoder

    encoder = load_encoder("minilm")
    ws = Workspaces(Store(url), encoder_loader=lambda name: encoder)
    bot = ws.bot(workspace)
    for q in questions:
        conv = bot.start(title=f"{tag}: {q}")
        p = bot.propose(conv, q)
        bot.send(p.id, f"{p.text} ({tag})")
        print(tag, conv, p.id, p.route, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
