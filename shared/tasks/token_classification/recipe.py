"""`--method auto` for token classification: the recipe bench/ner.py measured on FiNER, written down once.

- Full fine-tuning: a frozen MiniLM (head-only) reached entity F1 0.616 on FiNER test, far below the CRF's 0.828;
  the encoder must learn the domain's names in context.
- Encoder lr 1e-4 with the head and the word-shape embedding (both fresh) at x10, batch 16, 5 epochs: dev entity
  F1 0.664, 0.726, 0.845, 0.827, 0.849; test 0.764 alone (BIO Viterbi decoding). Patience 3 keeps the best.
- The hybrid (the model's probabilities mixed with the feature CRF's, trained on the same split in ~10 s on 2
  CPU cores): dev chose model share 0.5 (dev F1 0.849 → 0.885), test 0.818, +5.4 points over the model alone
  (the CRF alone: 0.828). With Wikigold added to the model's training and the CRF kept on FiNER (`crf_data`):
  0.848, the best figure. Stacking the model's out-of-fold probabilities as CRF features did worse (0.81).
  Serving the hybrid costs the CRF's marginals, ~0.1-0.3 ms per word on a CPU.
"""

from __future__ import annotations

from shared.tasks.classification.recipe import Recipe

TOKEN_RECIPE = Recipe("full", 1e-4, 10.0, 5, 3, 16, why=[
    "full fine-tuning: head-only MiniLM scored far below the feature CRF on FiNER",
    "encoder lr 1e-4, head and word-shape embedding x10, batch 16: FiNER dev F1 best at epoch 5 of 5",
    "at most 5 epochs, early stopping on dev entity F1 with patience 3 (best weights kept)",
    "BIO Viterbi decoding; mixed with the CRF at the model share dev prefers (hybrid)",
])
HYBRID = True  # the recipe's hybrid choice (run(hybrid=None) under method auto)
