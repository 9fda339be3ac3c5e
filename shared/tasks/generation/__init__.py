"""Generative fine-tuning: LoRA on a packaged causal LM (SmolLM2) over (prompt, answer) pairs."""
