"""One padding helper for the masking collator and fine-tuning batches."""

from __future__ import annotations

import pytest
import torch

from spanbert_lab.contracts import IGNORE_INDEX
from spanbert_lab.masking.padding import pad_features, pad_rows, padded_length


def test_pad_rows_fills_on_the_right():
    got = pad_rows([[5, 6, 7], [8]], value=0)
    assert got.dtype == torch.long
    assert got.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert pad_rows([[1]], value=9, length=3).tolist() == [[1, 9, 9]]


def test_padded_length_rounds_up_to_a_multiple():
    assert padded_length([3, 5]) == 5
    assert padded_length([3, 5], multiple_of=4) == 8
    assert padded_length([8], multiple_of=4) == 8
    with pytest.raises(ValueError, match="must be >= 1"):
        padded_length([3], multiple_of=0)
    with pytest.raises(ValueError, match="empty batch"):
        padded_length([])


def test_a_row_longer_than_the_length_is_an_error():
    with pytest.raises(ValueError, match=r"rows \[0\] are longer than the padded length 2"):
        pad_rows([[1, 2, 3]], value=0, length=2)


def test_feature_rows_pad_each_key_with_its_own_value():
    rows = [
        {"input_ids": [2, 7, 3], "attention_mask": [1, 1, 1], "labels": [0, 4, 1], "y": 1},
        {"input_ids": [2, 3], "attention_mask": [1, 1], "labels": [0, 1], "y": 0},
    ]
    batch = pad_features(rows, pad_id=99)
    assert batch["input_ids"].tolist() == [[2, 7, 3], [2, 3, 99]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["labels"].tolist() == [[0, 4, 1], [0, 1, IGNORE_INDEX]]
    assert batch["y"].tolist() == [1, 0]
