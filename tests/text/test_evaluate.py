"""Scoring a classifier against labelled data, and reading labelled files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from defectradar.errors import InputError
from defectradar.text.evaluate import read_labelled, score

# A tiny example scored by hand.
#
#   row  truth              predicted
#   0    wifi               wifi
#   1    wifi, battery      wifi
#   2    -                  wifi
#   3    battery            battery, display
#   4    display            -
#   5    -                  -
#
#   class    TP FP FN   precision  recall  F1
#   battery   1  0  1   1          1/2     2/3
#   display   0  1  1   0          0       0
#   wifi      2  1  0   2/3        1       4/5
#   micro     3  2  2   3/5        3/5     3/5
#   macro               5/9        1/2     (2/3 + 0 + 4/5) / 3 = 22/45
TRUTH = [["wifi"], ["wifi", "battery"], [], ["battery"], ["display"], []]
PREDICTED = [["wifi"], ["wifi"], ["wifi"], ["battery", "display"], [], []]


def test_per_class_scores_match_the_hand_computed_table():
    result = score(TRUTH, PREDICTED)
    table = {c.label: (c.precision, c.recall, c.f1, c.support) for c in result.classes}
    assert list(table) == ["battery", "display", "wifi"]
    assert table["battery"] == pytest.approx((1.0, 0.5, 2 / 3, 2))
    assert table["display"] == pytest.approx((0.0, 0.0, 0.0, 1))
    assert table["wifi"] == pytest.approx((2 / 3, 1.0, 0.8, 2))


def test_averages_match_the_hand_computed_table():
    result = score(TRUTH, PREDICTED)
    assert result.micro == pytest.approx({"precision": 0.6, "recall": 0.6, "f1": 0.6})
    assert result.macro == pytest.approx({"precision": 5 / 9, "recall": 0.5, "f1": 22 / 45})


def test_averages_agree_with_sklearn_on_an_indicator_matrix_built_here():
    classes = ["battery", "display", "wifi"]
    y_true = np.array([[c in row for c in classes] for row in TRUTH], dtype=int)
    y_pred = np.array([[c in row for c in classes] for row in PREDICTED], dtype=int)
    result = score(TRUTH, PREDICTED)
    for average in ("micro", "macro"):
        expected = {
            "precision": precision_score(y_true, y_pred, average=average, zero_division=0),
            "recall": recall_score(y_true, y_pred, average=average, zero_division=0),
            "f1": f1_score(y_true, y_pred, average=average, zero_division=0),
        }
        assert getattr(result, average) == pytest.approx(expected)


def test_exact_share_and_no_label_accuracy():
    result = score(TRUTH, PREDICTED)
    assert result.examples == 6
    assert result.exact == pytest.approx(2 / 6)             # rows 0 and 5
    assert result.no_label == {"support": 2, "accuracy": 0.5}


def test_no_label_accuracy_is_nan_without_unlabelled_texts():
    result = score([["wifi"]], [["wifi"]])
    assert result.no_label["support"] == 0
    assert math.isnan(result.no_label["accuracy"])
    assert result.exact == 1.0


def test_fixed_labels_report_classes_without_support_and_ignore_others():
    result = score([["wifi"], ["battery"]], [["wifi", "camera"], ["battery"]], labels=["wifi", "battery", "display"])
    assert [c.label for c in result.classes] == ["battery", "display", "wifi"]
    assert {c.label: c.support for c in result.classes} == {"battery": 1, "display": 0, "wifi": 1}
    assert result.micro == pytest.approx({"precision": 1.0, "recall": 1.0, "f1": 1.0})
    assert result.exact == 0.5        # the stray 'camera' still makes row 0 wrong


def test_to_dict_is_json_safe():
    data = score(TRUTH, PREDICTED).to_dict()
    assert json.loads(json.dumps(data))["classes"][0]["label"] == "battery"


def test_mismatched_lengths_are_an_input_error():
    with pytest.raises(InputError, match="2 true label sets but 1 predictions"):
        score([["wifi"], []], [["wifi"]])


# --- reading labelled files


def test_read_labelled_csv(csv_file):
    path = csv_file(["text", "label"], [
        ["wifi打不开", "wifi"],
        ["烧屏还发烫", "screen_burn_in|overheating"],
        ["spaces around", " wifi | battery "],
        ["a JSON list", '["display", "camera"]'],
        ["物流很快", ""],
    ])
    texts, labels, rows = read_labelled(path)
    assert texts == ["wifi打不开", "烧屏还发烫", "spaces around", "a JSON list", "物流很快"]
    assert labels == [["wifi"], ["screen_burn_in", "overheating"], ["wifi", "battery"], ["display", "camera"], []]
    assert rows[1] == {"text": "烧屏还发烫", "label": "screen_burn_in|overheating"}


def test_read_labelled_csv_with_a_bom_other_columns_and_separator(csv_file):
    path = csv_file(["id", "post", "modes"], [["1", "wifi断流", "wifi;cellular"]], encoding="utf-8-sig")
    texts, labels, _ = read_labelled(path, text_col="post", label_col="modes", sep=";")
    assert texts == ["wifi断流"]
    assert labels == [["wifi", "cellular"]]


def test_read_labelled_jsonl(tmp_path):
    path = tmp_path / "labelled.jsonl"
    lines = [
        {"text": "wifi打不开", "label": ["wifi"]},
        {"text": "烧屏还发烫", "label": "screen_burn_in|overheating"},
        {"text": "物流很快", "label": []},
        {"text": "包装完好", "label": None},
        {"text": "no label key"},
    ]
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n\n", encoding="utf-8")
    texts, labels, rows = read_labelled(path)
    assert texts == ["wifi打不开", "烧屏还发烫", "物流很快", "包装完好", "no label key"]
    assert labels == [["wifi"], ["screen_burn_in", "overheating"], [], [], []]
    assert len(rows) == 5


@pytest.mark.parametrize("header, kwargs, column, flag", [
    (["body", "label"], {}, "text", "--text-col"),
    (["text", "modes"], {}, "label", "--label-col"),
    (["text", "label"], {"text_col": "post"}, "post", "--text-col"),
    (["text", "label"], {"label_col": "truth"}, "truth", "--label-col"),
])
def test_a_missing_column_names_the_column_and_the_flag(csv_file, header, kwargs, column, flag):
    path = csv_file(header, [["wifi打不开", "wifi"]])
    with pytest.raises(InputError) as raised:
        read_labelled(path, **kwargs)
    message = str(raised.value)
    assert f"no column {column!r}" in message
    assert flag in message
    assert str(path) in message


def test_a_row_without_text_is_named_by_number(csv_file):
    path = csv_file(["text", "label"], [["wifi打不开", "wifi"], ["  ", "battery"], ["ok", ""]])
    with pytest.raises(InputError, match=r"row 2 has no text in 'text'"):
        read_labelled(path)


def test_a_jsonl_row_without_text_is_named_by_number(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text('{"text": "a", "label": "wifi"}\n{"text": "b", "label": "wifi"}\n{"text": null, "label": ""}\n',
                    encoding="utf-8")
    with pytest.raises(InputError, match="row 3 has no text"):
        read_labelled(path)


def test_a_broken_json_line_is_named_by_number(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text('{"text": "a", "label": "wifi"}\n{"text": "b", \n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2 is not valid JSON"):
        read_labelled(path)


def test_a_missing_or_empty_file_is_an_input_error(tmp_path, csv_file):
    with pytest.raises(InputError, match="no such file"):
        read_labelled(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="no rows"):
        read_labelled(csv_file(["text", "label"], []))
