"""Fine-tuning core shared by the verticals apps."""
