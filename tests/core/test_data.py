from __future__ import annotations

import pandas as pd
import pytest

from shared.data.batching import bucketed_batches, pad_batch, shard
from shared.data.labels import LabelMap
from shared.data.splits import stratified_split
from shared.data.tables import clean_text_rows, read_table
from shared.errors import ConfigError, DataError, UnknownLabelError


def test_reads_csv_jsonl_parquet_and_frames(tmp_path):
    df = pd.DataFrame({"text": ["a b", "c d"], "label": ["x", "y"]})
    df.to_csv(tmp_path / "d.csv", index=False)
    df.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    df.to_parquet(tmp_path / "d.parquet")
    for name in ("d.csv", "d.jsonl", "d.parquet"):
        assert read_table(tmp_path / name)[["text", "label"]].values.tolist() == df.values.tolist()
    assert read_table(df).equals(df)


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"text,label\nbon\xe9,x\n", "not UTF-8"),
])
def test_bad_files_give_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_table(path)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "x.xlsx").write_bytes(b"x")
    with pytest.raises(DataError, match="Unsupported"):
        read_table(tmp_path / "x.xlsx")


def test_missing_column_names_the_columns():
    with pytest.raises(DataError, match=r"no column 'sentence'.*\['text', 'label'\]"):
        clean_text_rows(pd.DataFrame({"text": ["a"], "label": ["x"]}), ["sentence"], "label")


def test_empty_text_rows_are_skipped_and_counted():
    df = pd.DataFrame({"text": ["good", "  ", None, "bad", "ok"], "label": ["p", "n", "n", "n", None]})
    out, report = clean_text_rows(df, ["text"], "label")
    assert out["text"].tolist() == ["good", "bad"]
    assert (report.rows_in, report.rows_kept, report.skipped_empty_text, report.skipped_missing_label) == (5, 2, 2, 1)


def test_unknown_label_at_predict_time():
    labels = LabelMap.fit(["neg", "pos"])
    assert labels.encode(["pos", "neg"]) == [1, 0]
    with pytest.raises(UnknownLabelError, match="'neutral' was not seen"):
        labels.encode(["neutral"])


def test_stratified_split_is_seeded_and_stratified():
    df = pd.DataFrame({"text": [f"t{i}" for i in range(100)], "label": ["a"] * 80 + ["b"] * 20})
    a = stratified_split(df, "label", seed=42)
    b = stratified_split(df, "label", seed=42)
    assert [len(x) for x in a] == [80, 10, 10]
    assert all(x.equals(y) for x, y in zip(a, b))
    assert (a[2]["label"] == "b").sum() == 2
    with pytest.raises(ConfigError):
        stratified_split(df, "label", fractions=(0.5, 0.5, 0.5))


def test_bucketed_batches_cover_every_index_once_and_group_lengths():
    lengths = [5, 50, 6, 51, 7, 52, 8, 53]
    batches = bucketed_batches(lengths, batch_size=2, shuffle=True, seed=1)
    assert sorted(i for b in batches for i in b) == list(range(8))
    for b in batches:  # similar lengths share a batch
        assert max(lengths[i] for i in b) - min(lengths[i] for i in b) <= 3


def test_padding_is_rounded_to_a_bounded_set_of_shapes():
    ids, mask = pad_batch([[1, 2, 3], [4]], pad_id=0, pad_multiple=8)
    assert ids.shape == (2, 8) and mask.sum().item() == 4 and ids[1, 1].item() == 0


def test_shard_gives_ranks_equal_disjoint_batches():
    batches = [[i] for i in range(7)]
    r0, r1 = list(shard(batches, 0, 2)), list(shard(batches, 1, 2))
    assert len(r0) == len(r1) == 3 and not {b[0] for b in r0} & {b[0] for b in r1}
