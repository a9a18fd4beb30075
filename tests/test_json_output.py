"""``dumps_json`` (every ``--json``) writes exactly what ``json.dumps(..., indent=2)`` writes."""

from __future__ import annotations

import json
import random
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Any

import pytest

from dtc_tui.commands import common
from dtc_tui.commands.common import _json_default, dumps_json


class Word(StrEnum):
    ODD = 'a\n"x'


class Number(IntEnum):
    ONE = 1


def _leaf(rnd: random.Random) -> Any:
    return rnd.choice(
        [None, True, False, 0, -3, 2**70, 1.5, float("nan"), float("inf"), 1e-9, "", '文字\n\t"\\', "x"]
        + [date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5), Word.ODD, Number.ONE]
    )


def _value(rnd: random.Random, depth: int = 0) -> Any:
    pick = rnd.random()
    if depth > 3 or pick < 0.4:
        return _leaf(rnd)
    if pick < 0.7:
        items = [_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
        return items if rnd.random() < 0.8 else tuple(items)
    keys: list[Any] = ["k", "名", "a b", "", "\n"] + ([1, 2.5, None, True] if rnd.random() < 0.2 else [])
    return {rnd.choice(keys): _value(rnd, depth + 1) for _ in range(rnd.randint(0, 5))}


def _reference(value: Any) -> str:
    return json.dumps(value, default=_json_default, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("c_encoder", [True, False])
def test_dumps_json_is_json_dumps_indented(monkeypatch: pytest.MonkeyPatch, c_encoder: bool) -> None:
    monkeypatch.setattr(common, "_FLAT_ENCODERS", {})
    if not c_encoder:
        monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    rnd = random.Random(20)
    records = {"as_of": date(2026, 3, 1), "rows": [{"sku": "A-1", "qty": 3, "cover": 1.25, "on": None}] * 3}
    assert dumps_json(records) == _reference(records)
    assert dumps_json(records).count("\n      ") == 12  # the rows' fields, indented two levels down
    for _ in range(2000):
        value = _value(rnd)
        assert dumps_json(value) == _reference(value)
