"""The training loop (trainer.py) and the small parts it orchestrates."""
