"""Token classification (named entities): CoNLL or JSONL spans in, entity spans with character offsets out."""
