"""One sub-package per task type; each has `pipeline.run(...)` (train → evaluate → register) and
`predictor.load(folder, card)` (serve). `shared.api` dispatches on the task name."""
