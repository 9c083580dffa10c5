"""Install codes and keyed hashes against published vectors."""

import pytest

from emulator.codec.security import keys


def test_install_code_vector_from_domain_notes() -> None:
    code = bytes.fromhex("83FED3407A939723A5C639B26916D505")
    coded = keys.with_crc(code)
    assert coded[-2:] == bytes.fromhex("C3B5")
    key = bytes.fromhex("66B6900981E1EE3CA4206B6B861C02BB")
    assert keys.link_key_from_install_code(coded) == key
    assert keys.install_code_key(code) == key  # GBCS carries the code without its CRC


def test_install_code_with_bad_crc_is_refused() -> None:
    coded = bytearray(keys.with_crc(bytes(16)))
    coded[-1] ^= 1
    with pytest.raises(ValueError, match="CRC"):
        keys.link_key_from_install_code(bytes(coded))


@pytest.mark.parametrize("length", [0, 7, 17])
def test_install_code_lengths(length: int) -> None:
    with pytest.raises(ValueError):
        keys.with_crc(bytes(length))


def test_hmac_mmo_annex_c_vector() -> None:
    # ZigBee specification Annex C.6.1, test vector 1.
    assert keys.hmac_mmo(bytes(range(0x40, 0x50)), b"\xc0") == bytes.fromhex(
        "4512807BF94CB3400F0E2C25FB76E999"
    )


def test_derived_keys_differ_by_input_byte() -> None:
    link = bytes.fromhex("5A6967426565416C6C69616E63653039")  # "ZigBeeAlliance09"
    derived = {keys.key_transport_key(link), keys.key_load_key(link), keys.verify_key_hash(link)}
    assert len(derived) == 3 and link not in derived
    assert keys.key_transport_key(link) == keys.hmac_mmo(link, b"\x00")
