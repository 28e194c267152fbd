"""The classifier: its fast prediction equals the fitted scikit-learn models, training is repeatable, no
message makes it fail, and the dispatch threshold it derives is kept with it."""

import json
import pickle

import numpy as np
import pytest

from minhu.core.errors import InvalidInput
from minhu.demo.city import catalog_examples
from minhu.routing import classifier

ODD_MESSAGES = [
    ("", ""),
    ("噪", ""),
    ("。", "！" * 30),
    ("工地噪音", "夜间施工" * 12_500),  # 50,000 characters
    ("Noise at night", "The construction site works until 2 am every day."),
    ("學校亂收費", "孩子就讀的學校每學期收取補課費，請教育局調查。"),
    ("小区 WiFi 信号差", "物业说 5G 基站要业主自己申请，ＡＢＣ全角字母 123"),
    ("\t\n", "\u3000 \u00a0"),
    ("😀😀", "🚗🚗🚗"),
]


@pytest.fixture(scope="module")
def examples() -> list[classifier.Example]:
    return catalog_examples()


@pytest.fixture(scope="module")
def model(examples) -> classifier.TextClassifier:
    return classifier.train(examples)


def test_the_fast_path_gives_the_probabilities_of_the_fitted_models(model, examples):
    fitted = classifier.fit_estimators(examples, model.labels)
    messages = [(e.title, e.detail) for e in examples[::25]] + ODD_MESSAGES
    titles, details = [t for t, _ in messages], [d for _, d in messages]
    read = classifier.texts(titles, details)
    average = sum(estimator.predict_proba(vectorizer.transform(read[spec.reads]))
                  for spec, (vectorizer, estimator) in zip(classifier.MEMBERS, fitted, strict=True)) / len(fitted)
    sharpened = average ** (1 / classifier.TEMPERATURE)
    expected = sharpened / sharpened.sum(axis=1, keepdims=True)
    together = model.probabilities(titles, details)
    np.testing.assert_allclose(together, expected, atol=1e-5)
    one_by_one = np.vstack([model.probabilities([t], [d]) for t, d in messages])
    np.testing.assert_allclose(one_by_one, together, atol=1e-9)


def test_two_labels_are_enough_and_still_predicted_as_fitted(examples):
    two = [e for e in examples if e.label in ("环境保护", "交通运输")]
    model = classifier.train(two, cross_validate=False)
    fitted = classifier.fit_estimators(two, model.labels)
    read = classifier.texts([e.title for e in two[:40]], [e.detail for e in two[:40]])
    average = sum(estimator.predict_proba(vectorizer.transform(read[spec.reads]))
                  for spec, (vectorizer, estimator) in zip(classifier.MEMBERS, fitted, strict=True)) / len(fitted)
    expected = average ** (1 / classifier.TEMPERATURE) / (average ** (1 / classifier.TEMPERATURE)).sum(axis=1,
                                                                                                     keepdims=True)
    np.testing.assert_allclose(model.probabilities([e.title for e in two[:40]], [e.detail for e in two[:40]]),
                               expected, atol=1e-5)


def test_the_same_rows_give_the_same_model(model, examples):
    again = classifier.train(list(examples))
    titles, details = [e.title for e in examples[:200]], [e.detail for e in examples[:200]]
    np.testing.assert_array_equal(again.probabilities(titles, details), model.probabilities(titles, details))
    assert again.dispatch_threshold == model.dispatch_threshold
    assert again.metrics == model.metrics
    assert again.data_sha256 == model.data_sha256


def test_no_message_makes_the_classifier_fail(model):
    for title, detail in ODD_MESSAGES:
        top = model.top(title, detail)
        assert all(label in model.labels and 0 <= p <= 1 for label, p in top)
        assert sum(p for _, p in top) <= 1 + 1e-9
    assert model.top("", "") == []
    assert model.top("噪", "") == []
    assert model.top("。", "！" * 30) == []
    assert model.top("工地噪音", "夜间施工" * 12_500)[0][0] == "环境保护"
    predicted = model.predict([t for t, _ in ODD_MESSAGES], [d for _, d in ODD_MESSAGES])
    assert len(predicted) == len(ODD_MESSAGES)
    assert all(label in model.labels and 0 < confidence <= 1 for label, confidence in predicted)


def test_the_dispatch_threshold_is_derived_by_cross_validation_and_kept_with_the_model(model, tmp_path):
    cv = model.metrics["cv"]
    assert model.dispatch_threshold is not None
    assert cv["dispatch_threshold"] == model.dispatch_threshold
    assert cv["dispatch_precision"] >= classifier.DISPATCH_PRECISION
    assert 0 < cv["dispatch_share"] < 1
    assert 0 < cv["macro_f1_mean"] <= 1
    assert len(cv["macro_f1_folds"]) == classifier.CV_FOLDS
    folder = classifier.save(model, tmp_path)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["dispatch_threshold"] == model.dispatch_threshold
    assert meta["metrics"]["cv"]["dispatch_share"] == cv["dispatch_share"]
    assert pickle.loads((folder / "model.pkl").read_bytes()).dispatch_threshold == model.dispatch_threshold


def test_the_threshold_is_the_lowest_confidence_sure_enough_with_a_margin():
    # 1,000 messages at 0.99, all right; 1,000 at 0.9, 990 right; 1,000 at 0.7, 900 right.
    confidence = np.repeat([0.99, 0.9, 0.7], 1000)
    correct = np.concatenate([np.ones(1000), np.arange(1000) >= 10, np.arange(1000) >= 100]).astype(bool)
    assert classifier.dispatch_threshold(confidence, correct) == 0.9
    # 98% exactly is not enough: the lower bound falls short.
    assert classifier.dispatch_threshold(np.full(1000, 0.9), np.arange(1000) >= 20) is None
    assert classifier.dispatch_threshold(np.full(200, 0.95), np.ones(200, dtype=bool)) == 0.95
    assert classifier.dispatch_threshold(np.full(50, 0.95), np.ones(50, dtype=bool)) is None  # too few to tell


def test_a_label_with_too_few_rows_is_named_with_its_count(examples):
    rows = examples + [classifier.Example("殡葬", "公墓收费太高", "殡葬服务")] * 3
    with pytest.raises(InvalidInput, match=r"殡葬服务（3 条）") as refused:
        classifier.train(rows)
    assert refused.value.details == [{"field": "殡葬服务", "message": "只有 3 条样本"}]


def test_a_model_kept_by_an_earlier_method_counts_as_none(tmp_path):
    older = classifier.TextClassifier.__new__(classifier.TextClassifier)
    older.__dict__.update(labels=["城乡建设", "环境保护"], version="20261101-000000-old", vectorizer=None, model=None)
    folder = tmp_path / "classifier" / older.version
    folder.mkdir(parents=True)
    (folder / "model.pkl").write_bytes(pickle.dumps(older))
    (tmp_path / "classifier" / "CURRENT").write_text(older.version, encoding="utf-8")
    classifier.forget_loaded()
    assert classifier.current(tmp_path) is None
