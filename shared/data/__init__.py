"""Loading, validating, splitting and batching the user's labelled text."""
