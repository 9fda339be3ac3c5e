"""Sequence classification, single text or text pairs."""
