"""Behaviour signals on disk as arrays and JSON: `signals.npz` (read with `allow_pickle=False`) and
`signals.json`. Nothing in a saved artifact can run code when it is loaded, unlike the pickle this replaces.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.candidates import Signals
from recommender.collaborative import ALS, Cooccurrence, Popularity
from recommender.errors import ModelNotTrainedError

ARRAYS = "signals.npz"
FACTS = "signals.json"


def save_signals(signals: Signals, folder: Path) -> None:
    pop, co, als = signals.popularity, signals.cooccurrence, signals.als
    sim = co.sim.tocsr()
    with open(folder / ARRAYS, "wb") as fh:
        np.savez(fh, pop_count=pop.count, pop_recent=pop.recent, pop_first_seen=pop.first_seen,
                 pop_last_seen=pop.last_seen, sim_data=sim.data, sim_indices=sim.indices, sim_indptr=sim.indptr,
                 als_item_factors=als.item_factors, als_yty=als.yty)
    facts = {"now": int(signals.now), "popularity": {"window_s": int(pop.window_s), "now": int(pop.now)},
             "cooccurrence": {"neighbours": int(co.neighbours), "shape": [int(n) for n in sim.shape]},
             "als": {"params": als.params, "seed": int(als.seed)}}
    (folder / FACTS).write_text(json.dumps(facts, indent=2))


def load_signals(folder: Path) -> Signals:
    if not (folder / ARRAYS).is_file() or not (folder / FACTS).is_file():
        raise ModelNotTrainedError(f"The recommender at {folder} has no {ARRAYS}/{FACTS}: train it again "
                                   "with `verticals rec train`.")
    facts = json.loads((folder / FACTS).read_text())
    with np.load(folder / ARRAYS, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    pop = Popularity(facts["popularity"]["window_s"])
    pop.count, pop.recent = arrays["pop_count"], arrays["pop_recent"]
    pop.first_seen, pop.last_seen = arrays["pop_first_seen"], arrays["pop_last_seen"]
    pop.now = facts["popularity"]["now"]
    co = Cooccurrence(facts["cooccurrence"]["neighbours"])
    co.sim = sp.csr_matrix((arrays["sim_data"], arrays["sim_indices"], arrays["sim_indptr"]),
                           shape=tuple(facts["cooccurrence"]["shape"]))
    als = ALS(**facts["als"]["params"], seed=facts["als"]["seed"])
    als.item_factors, als.yty = arrays["als_item_factors"], arrays["als_yty"]
    return Signals(popularity=pop, cooccurrence=co, als=als, now=facts["now"])
