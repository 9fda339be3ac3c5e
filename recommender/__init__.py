"""Text-aware recommender: behaviour + item text, a fine-tuned interest model, blended ranking."""
