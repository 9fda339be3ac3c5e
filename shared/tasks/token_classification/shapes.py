"""Word shapes: the case and character-class cues an uncased encoder cannot see (see TokenClassifier)."""

from __future__ import annotations

SHAPES = ("pad", "lower", "Title", "UPPER", "miXed", "digit", "punct", "other")
N_SHAPES = 2 * len(SHAPES)  # each shape twice: inside the sentence, and as its first word


def word_shape(word: str, first: bool = False) -> int:
    """The shape id of `word` (0 is reserved for special and padding tokens)."""
    letters = [c for c in word if c.isalpha()]
    if any(c.isdigit() for c in word):
        shape = 5
    elif not any(c.isalnum() for c in word):
        shape = 6
    elif letters and all(c.isupper() for c in letters) and len(letters) > 1:
        shape = 3
    elif letters and letters[0].isupper() and all(c.islower() for c in letters[1:]):
        shape = 2
    elif any(c.isupper() for c in letters):
        shape = 4
    elif letters:
        shape = 1
    else:
        shape = 7
    return shape + (len(SHAPES) if first else 0)
