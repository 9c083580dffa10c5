"""The test UTRN scheme: 20 digits that carry a sequence, a value and a per-meter check."""

from __future__ import annotations

import pytest

from emulator.codec import utrn
from emulator.codec.eui64 import Eui64

ESME = Eui64("00-DB-12-34-56-78-90-A0")
GSME = Eui64("00-DB-12-34-56-78-90-A1")
KEY = utrn.meter_test_key(ESME)


def test_a_utrn_round_trips_and_authenticates_for_its_meter_only() -> None:
    token = utrn.generate(KEY, ESME, 42, 1500)
    text = str(token)
    assert len(text) == 20 and text.isdigit() and text.startswith("000420001500")
    assert utrn.decode(token.encode()) == token == utrn.decode(text)
    assert utrn.authentic(KEY, ESME, token)
    assert not utrn.authentic(KEY, GSME, token)
    assert not utrn.authentic(utrn.meter_test_key(GSME), ESME, token)
    assert not utrn.authentic(KEY, ESME, utrn.Utrn(42, 1501, token.check))  # value changed


FULL_WIDTH_ZEROS = "\uff10" * 20  # digits to str.isdigit, not to a meter


@pytest.mark.parametrize("code", ["", "1234", "1" * 21, "0000100015001234567x", FULL_WIDTH_ZEROS])
def test_anything_but_twenty_digits_is_malformed(code: str) -> None:
    with pytest.raises(utrn.UtrnDecodeError):
        utrn.decode(code)


def test_fields_out_of_range_are_refused_when_generating() -> None:
    with pytest.raises(ValueError):
        utrn.generate(KEY, ESME, utrn.MAX_SEQUENCE + 1, 1)
    with pytest.raises(ValueError):
        utrn.generate(KEY, ESME, 1, utrn.MAX_VALUE + 1)
