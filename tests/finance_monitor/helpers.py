"""Helpers shared by tests and their subprocesses."""

from __future__ import annotations

import numpy as np
import pandas as pd


class SklearnClassifier:
    """A real fitted classifier with the core predictor's interface (`labels`, `predict_proba`)."""

    def __init__(self, texts: pd.Series, labels: pd.Series) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from threadpoolctl import threadpool_limits

        self.pipe = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
                                  LogisticRegression(max_iter=300, C=10, class_weight="balanced"))
        with threadpool_limits(1):  # multi-threaded BLAS on 2 busy cores is 15x slower for this small fit
            self.pipe.fit(texts, labels)
        self.labels = [str(c) for c in self.pipe.classes_]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.pipe.predict_proba(texts)


def tfidf_scorers(fpb: pd.DataFrame) -> list:
    from finance_monitor.scoring import ClassifierScorer

    return [ClassifierScorer("sentiment", "tfidf-sentiment", "1", SklearnClassifier(fpb["text"], fpb["label"]))]


RSS = """<?xml version="1.0" encoding="{enc}"?>
<rss version="2.0"><channel><title>Markets</title><link>http://example.com/</link>
<description>test feed</description>
{items}
</channel></rss>"""

ITEM = """<item><title>{title}</title><link>{link}</link><description>{body}</description>{date}</item>"""


def rss(items: list[dict], enc: str = "utf-8") -> str:
    parts = []
    for it in items:
        date = f"<pubDate>{it['date']}</pubDate>" if it.get("date") else ""
        parts.append(ITEM.format(title=it["title"], link=it.get("link", ""), body=it.get("body", ""), date=date))
    return RSS.format(enc=enc, items="\n".join(parts))
