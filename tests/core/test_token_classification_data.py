"""Token classification input: readers, tag schemes, alignment, windows, metrics and the CRF baseline."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from shared.errors import DataError
from shared.tasks.token_classification.crf import CrfBaseline
from shared.tasks.token_classification.data import (
    Sentence,
    check_kinds,
    parse_conll,
    parse_jsonl,
    read_sentences,
    split_sentences,
    words_of,
)
from shared.tasks.token_classification.encoding import (
    IGNORE,
    TokenExample,
    encode_sentences,
    merge_windows,
    windows,
)
from shared.tasks.token_classification.evaluation import entity_report
from shared.tasks.token_classification.shapes import SHAPES, word_shape
from shared.tasks.token_classification.tags import bio_spans, label_set, to_bio

CONLL = """-DOCSTART- -X- O O

This DT - O
LOAN NN - O
with IN - O
SILICON NNP - I-ORG
VALLEY NNP - I-ORG
BANK NNP - I-ORG
and CC - O
John NNP - I-PER
Smith NNP - I-PER

Paris I-LOC
. O
"""


def test_conll_io_becomes_bio_and_docstart_is_ignored():
    sentences = parse_conll(CONLL, "f.conll")
    assert [s.words for s in sentences] == [["This", "LOAN", "with", "SILICON", "VALLEY", "BANK", "and", "John",
                                             "Smith"], ["Paris", "."]]
    assert sentences[0].tags == ["O", "O", "O", "B-ORG", "I-ORG", "I-ORG", "O", "B-PER", "I-PER"]
    assert sentences[1].tags == ["B-LOC", "O"]
    assert sentences[0].line == 3 and sentences[1].line == 13


def test_conll_malformed_line_names_its_number():
    with pytest.raises(DataError, match=r"f.conll line 3: 'oops' is not `token TAG`"):
        parse_conll("A O\nB I-ORG\noops\n", "f.conll")
    with pytest.raises(DataError, match=r"line 2: tag 'X-ORG'"):
        parse_conll("A O\nB X-ORG\n", "f.conll")


def test_tag_seen_only_in_test_is_an_error_with_its_line():
    train = parse_conll("Acme I-ORG\nsaid O\n", "train.conll")
    test = parse_conll("Acme I-ORG\n\nin O\nParis I-LOC\n", "test.conll")
    with pytest.raises(DataError, match=r"test.conll line 4: tag 'B-LOC' appears in the test data but never"):
        check_kinds(train, test, "test")


def test_jsonl_spans_become_word_tags_with_offsets(tmp_path):
    path = tmp_path / "d.jsonl"
    rows = [{"text": "Shares of Apple Inc. fell, said Tim Cook.",
             "spans": [{"start": 10, "end": 19, "label": "ORG"}, {"start": 32, "end": 40, "label": "PER"}]},
            {"text": "Nothing here", "entities": []}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    first, second = read_sentences(path)
    assert first.words[:6] == ["Shares", "of", "Apple", "Inc", ".", "fell"]
    assert first.tags == ["O", "O", "B-ORG", "I-ORG", "O", "O", "O", "O", "B-PER", "I-PER", "O"]
    assert first.starts[2] == 10 and second.tags == ["O", "O"]


@pytest.mark.parametrize("record, message", [
    ({"text": "   ", "spans": []}, "line 1: empty sentence"),
    ({"text": "Apple rose", "spans": [{"start": 1, "end": 5, "label": "ORG"}]}, "does not start and end on word"),
    ({"text": "Apple rose", "spans": [[0, 5, "ORG"], [0, 10, "ORG"]]}, "overlaps another span"),
    ({"text": "Apple rose", "spans": [[0, 50, "ORG"]]}, "0 <= start < end <= 10"),
    ({"spans": []}, "needs a string field \"text\""),
])
def test_jsonl_bad_records_are_clear_errors(record, message):
    with pytest.raises(DataError, match=message):
        parse_jsonl(json.dumps(record), "d.jsonl")


def test_missing_or_empty_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_sentences(tmp_path / "nope.conll")
    (tmp_path / "empty.conll").write_text("-DOCSTART- -X- O O\n\n")
    with pytest.raises(DataError, match="no labelled sentences"):
        read_sentences(tmp_path / "empty.conll")


def test_to_bio_and_spans():
    assert to_bio(["I-ORG", "I-ORG", "O", "I-PER", "I-LOC", "I-LOC"]) == [
        "B-ORG", "I-ORG", "O", "B-PER", "B-LOC", "I-LOC"]
    assert to_bio(["B-ORG", "B-ORG", "I-ORG"]) == ["B-ORG", "B-ORG", "I-ORG"]
    assert bio_spans(["O", "I-PER", "I-PER", "B-PER", "O", "I-ORG"]) == [(1, 3, "PER"), (3, 4, "PER"), (5, 6, "ORG")]
    assert label_set(["PER", "ORG"]) == ("O", "B-ORG", "I-ORG", "B-PER", "I-PER")


def test_words_of_splits_punctuation_with_offsets():
    words, starts = words_of("AT&T's CEO, J. Doe")
    assert words == ["AT", "&", "T", "'", "s", "CEO", ",", "J", ".", "Doe"]
    assert starts == [0, 2, 3, 4, 5, 7, 10, 12, 13, 15]


def test_word_shapes():
    names = [SHAPES[word_shape(w) % len(SHAPES)] for w in ("bank", "Bank", "BANK", "eBay", "1999", ",", "A")]
    assert names == ["lower", "Title", "UPPER", "miXed", "digit", "punct", "Title"]
    assert word_shape("Bank", first=True) == word_shape("Bank") + len(SHAPES)


def test_windows_overlap_so_no_entity_is_cut():
    counts = [1] * 30
    spans = windows(counts, budget=10, stride=4)
    assert spans[0] == (0, 10) and spans[-1][1] == 30
    assert all(b[0] == a[1] - 4 for a, b in itertools.pairwise(spans))
    # any entity of up to stride + 1 words lies whole inside some window
    for first in range(27):
        assert any(s <= first and first + 3 <= e for s, e in spans)
    assert windows([50, 1, 1], budget=10, stride=2) == [(0, 1), (1, 3)]  # an over-long word still progresses


@pytest.fixture(scope="module")
def tokenizer():
    from shared.models.catalog import resolve_model
    from shared.models.loading import load_tokenizer

    return load_tokenizer(resolve_model("minilm"))


def test_labels_sit_on_first_sub_tokens(tokenizer):
    words = ["Unbelievably", "SILICON", "VALLEY", "said"]
    [ex] = encode_sentences(tokenizer, [words], [[0, 1, 2, 0]], max_length=64, stride=4)
    pieces = tokenizer.convert_ids_to_tokens(ex.input_ids)
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"
    assert [pieces[p] for p in ex.positions][1:] == ["silicon", "valley", "said"]
    assert [ex.labels[p] for p in ex.positions] == [0, 1, 2, 0]
    assert sum(lab != IGNORE for lab in ex.labels) == 4  # continuation pieces are ignored
    assert len(pieces) > 6  # "Unbelievably" was split into several pieces
    assert ex.shape_ids[ex.positions[1]] == word_shape("SILICON")


def test_long_sentence_is_windowed_and_merged_back(tokenizer):
    words = [f"w{i}" for i in range(200)]
    words[98:101] = ["Silicon", "Valley", "Bank"]
    labels = [0] * 200
    labels[98:101] = [1, 2, 2]
    examples = encode_sentences(tokenizer, [words], [labels], max_length=32, stride=8)
    assert len(examples) > 1 and all(len(e.input_ids) <= 32 for e in examples)
    assert any(set(range(98, 101)) <= set(e.words) for e in examples)
    covered = sorted({w for e in examples for w in e.words})
    assert covered == list(range(200))
    # merging: each word's row comes from one window; a row that says "my word index" round-trips
    rows = [np.array([[float(w), 0.0] for w in e.words]) for e in examples]
    merged = merge_windows(examples, rows, [200], 2)[0]
    assert merged[:, 0].tolist() == [float(i) for i in range(200)]


def test_merge_prefers_the_window_where_a_word_is_central():
    a = TokenExample([], [], [], [], [0, 1, 2, 3], 0, (0, 4))
    b = TokenExample([], [], [], [], [2, 3, 4, 5], 0, (2, 6))
    rows = [np.full((4, 1), 1.0), np.full((4, 1), 2.0)]
    merged = merge_windows([a, b], rows, [6], 1)[0][:, 0]
    assert merged.tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]


def test_entity_report_is_strict_per_type():
    gold = [["I-ORG", "I-ORG", "O", "I-PER"], ["I-LOC", "O"]]
    pred = [["B-ORG", "O", "O", "I-PER"], ["B-LOC", "O"]]  # ORG boundary wrong; PER and LOC right
    rep = entity_report(gold, pred, list(label_set(["ORG", "PER", "LOC"])))
    assert rep["per_type"]["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert rep["per_type"]["PER"]["f1"] == 1.0 and rep["per_type"]["LOC"]["f1"] == 1.0
    assert rep["precision"] == pytest.approx(2 / 3) and rep["recall"] == pytest.approx(2 / 3)
    assert rep["token_accuracy"] == pytest.approx(5 / 6)
    labels = rep["labels"]
    confusion = np.array(rep["token_confusion"])
    assert confusion[labels.index("I-ORG"), labels.index("O")] == 1 and confusion.sum() == 6


def test_split_is_seeded_and_complete():
    sentences = [Sentence([f"w{i}"], ["O"]) for i in range(50)]
    a = split_sentences(sentences, (0.8, 0.1, 0.1), 42)
    b = split_sentences(sentences, (0.8, 0.1, 0.1), 42)
    assert [len(p) for p in a] == [40, 5, 5]
    assert [[s.words for s in p] for p in a] == [[s.words for s in p] for p in b]
    assert sorted(s.words[0] for p in a for s in p) == sorted(s.words[0] for s in sentences)


def test_crf_baseline_learns_capitalised_names():
    train = [(["Yesterday", "Acme", "Corp", "sued", "Bob", "Jones", "."], ["O", "B-ORG", "I-ORG", "O", "B-PER",
                                                                           "I-PER", "O"])] * 20
    crf = CrfBaseline(max_iterations=50).fit([w for w, _ in train], [t for _, t in train])
    assert crf.predict([["Yesterday", "Acme", "Corp", "sued", "Bob", "Jones", "."]])[0] == train[0][1]
