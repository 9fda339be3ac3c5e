"""Contrastive sentence-embedding fine-tuning on (query, positive[, hard negative]) pairs."""
