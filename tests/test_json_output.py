"""``dumps_json`` (every ``--json``) writes what ``json.dumps(..., indent=2)`` writes."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import IntEnum, StrEnum
from typing import Any

from dtc_tui.commands.common import _json_default, dumps_json


class Word(StrEnum):
    ODD = 'a\n"x'


class Number(IntEnum):
    ONE = 1


@dataclass
class Shown:
    code: str

    def as_dict(self) -> dict[str, str]:
        return {"sku": self.code.upper()}


def _leaf(rnd: random.Random) -> Any:
    return rnd.choice(
        [None, True, False, 0, -3, 2**60, 1.5, 0.1, 1e-9, 1e16, "", '文字\n\t"\\\x1f', "x", "\u2028"]
        + [date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)]
        + [Word.ODD, Number.ONE, Shown("a-1")]
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


def test_records_are_written_as_json_writes_them() -> None:
    records = {
        "as_of": date(2026, 3, 1),
        "rows": [{"sku": "A-1", "qty": 3, "cover": 1.25, "on": None, "name": '马克杯 "大"'}] * 3,
        "empty": [],
        "none": {},
        "shown": Shown("b-2"),
    }
    assert dumps_json(records) == _reference(records)
    assert dumps_json(records).count("\n      ") == 15  # the rows' fields, indented two levels down


def test_any_value_reads_back_as_json_wrote_it() -> None:
    rnd = random.Random(20)
    for _ in range(2000):
        value = _value(rnd)
        assert json.loads(dumps_json(value)) == json.loads(_reference(value))


def test_what_json_cannot_write_as_json() -> None:
    # json writes NaN and Infinity, which no JSON reader takes; orjson writes null.
    assert json.loads(dumps_json({"roas": math.nan, "cover": math.inf})) == {"roas": None, "cover": None}
    assert json.loads(dumps_json([2**70])) == [2**70]  # beyond 64 bits: the standard library's way
    assert "1e-09" not in dumps_json(1e-9)  # the one difference in the text: exponents as orjson writes them
