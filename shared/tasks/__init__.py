"""One sub-package per task type; each has `pipeline.run(...)` (train → evaluate → register) and
`predictor.load(folder, card)` (serve). `shared.api` dispatches on the task name. The steps every
`run` shares (start, method, fit, card's training record, publish to the registry) are in `pipeline.py` here."""
