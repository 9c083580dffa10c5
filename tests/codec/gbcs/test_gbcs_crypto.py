"""GBCS crypto: worked keys from the RTDS, KDF, GMAC, ECDSA r||s, payload encryption, and messages
built by our encoder with our test PKI verifying end to end."""

from __future__ import annotations

from dataclasses import replace

import pytest
from support.rtds import RTDS, RTDS_KEYSTORE

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    DS,
    KA,
    GbcsCryptoError,
    GeneralCiphering,
    GeneralSigning,
    MemoryKeyStore,
    MessageCode,
    OtherInformation,
    Verdict,
    analyse,
    crypto,
    decode_message,
    protect,
)
from emulator.codec.gbcs.asn1 import encode_asn1
from emulator.codec.gbcs.dlms import (
    AccessResponse,
    Data,
    DataType,
    decode_data,
    invoke_id_for,
)
from emulator.codec.gbcs.gbz import GbzComponent, GbzPayload
from emulator.codec.gbcs.keystore import public_key
from emulator.codec.gbcs.verify import mac_key, payload_key
from emulator.pki.smki import RemotePartyRole, TestSmki, memory_store

MESSAGES = RTDS
KEYSTORE = RTDS_KEYSTORE
ACB = Eui64("90B3D51F30000002")
SUPPLIER = Eui64("90B3D51F30010000")
ESME = Eui64("00DB1234567890A0")
CHF = Eui64("00DB1234567890A2")


def _msg(name: str) -> GeneralCiphering | GeneralSigning:
    m = decode_message(bytes.fromhex(MESSAGES[name]["hex"]))
    assert isinstance(m, GeneralCiphering | GeneralSigning)
    return m


def test_worked_ccs01_mac_keys() -> None:
    """DOMAIN.md section 7: the parser's worked CCS01 command and response MAC keys."""
    command = _msg("CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX")
    response = _msg("CCS01_8.11_SUCCESS_RESPONSE_GBCS.HEX")
    assert isinstance(command, GeneralCiphering) and isinstance(response, GeneralCiphering)
    ck = mac_key(command.apdu, KEYSTORE, ACB)
    rk = mac_key(response.apdu, KEYSTORE, ACB)
    assert ck == bytes.fromhex("ef19f400cff3abb3692af5d54069eb47")
    assert rk == bytes.fromhex("96b70f015f3004b7d206218536037621")
    assert crypto.compute_mac(ck, command.apdu) == bytes.fromhex("7c0607034dc39f5f32153966")
    assert crypto.compute_mac(rk, response.apdu) == bytes.fromhex("ca0e10505772e5e67f0c8fc4")


def test_kdf_other_info_layout() -> None:
    z = bytes(range(32))
    import hashlib

    other = (
        bytes.fromhex("60857406080300")
        + ACB.big()
        + b"\x09\x01"
        + (5).to_bytes(8, "big")
        + CHF.big()
    )
    assert (
        crypto.kdf(z, ACB, crypto.KdfType.COMMAND, 5, CHF)
        == hashlib.sha256(b"\x00\x00\x00\x01" + z + other).digest()[:16]
    )


def test_ecdh_is_symmetric_for_mac_keys() -> None:
    m = _msg("CCS01_8.11_SUCCESS_RESPONSE_GBCS.HEX")
    assert isinstance(m, GeneralCiphering)
    acb_priv = KEYSTORE.private_key(ACB, KA)
    chf_pub = public_key(KEYSTORE, CHF, KA)
    assert acb_priv is not None and chf_pub is not None
    assert crypto.mac_matches(crypto.message_mac_key(m.apdu, acb_priv, chf_pub), m)


def test_signature_is_raw_r_s_and_verifies() -> None:
    key = KEYSTORE.private_key(SUPPLIER, DS)
    assert key is not None
    sig = crypto.sign_raw(key, b"hello")
    assert len(sig) == 64
    assert crypto.verify_raw(key.public_key(), b"hello", sig)
    assert not crypto.verify_raw(key.public_key(), b"hellO", sig)
    assert not crypto.verify_raw(key.public_key(), b"hello", sig[:63])


def test_supplier_signs_the_rtds_pre_command_into_the_command() -> None:
    pre = _msg("CS03A1_8.7.1_SUCCESS_PRECOMMAND_GBCS.HEX")
    command = _msg("CS03A1_8.7.1_SUCCESS_COMMAND_GBCS.HEX")
    assert isinstance(pre, GeneralSigning) and pre.signature is None
    assert isinstance(command, GeneralCiphering)
    key = KEYSTORE.private_key(SUPPLIER, DS)
    assert key is not None
    signed = crypto.sign_pre_command(pre, key)
    # ECDSA is randomised, so compare everything but the signature, then verify it
    assert replace(signed, signature=command.apdu.signature) == command.apdu
    public = public_key(KEYSTORE, SUPPLIER, DS)
    assert public is not None and signed.signature is not None
    assert crypto.verify_raw(public, signed.signed_data(), signed.signature)
    # the ACB then MACs it; its MAC is the RTDS one when the signature is the RTDS one
    assert protect(command.apdu, KEYSTORE, ACB).mac == command.mac
    with pytest.raises(ValueError):
        crypto.sign_pre_command(replace(pre, cra=CRA.RESPONSE), key)


def test_payload_encryption_round_trip_and_tamper() -> None:
    key = bytes(range(16))
    ct = crypto.encrypt_payload(key, ESME, b"secret meter data")
    assert len(ct) == len(b"secret meter data") + 12
    assert crypto.decrypt_payload(key, ESME, ct) == b"secret meter data"
    assert crypto.decrypt_payload(key, ESME, ct[:-1] + bytes([ct[-1] ^ 1])) is None
    assert crypto.decrypt_payload(key, CHF, ct) is None
    assert crypto.decrypt_payload(key, ESME, b"short") is None


def test_rtds_ecs17b_encryption_key_reproduces_the_ciphertext() -> None:
    m = _msg("ECS17b_4.1.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX")
    assert isinstance(m, GeneralCiphering)
    key = payload_key(m.apdu, KEYSTORE)
    assert key is not None
    plain = bytes.fromhex(
        MESSAGES["ECS17b_4.1.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX"]["expected"]["decrypted_payload"]
    )
    assert crypto.encrypt_payload(key, m.apdu.originator, plain).hex() in m.apdu.content.hex()


def test_protect_without_keys_fails_loudly() -> None:
    m = _msg("CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX")
    assert isinstance(m, GeneralCiphering)
    with pytest.raises(GbcsCryptoError):
        protect(m.apdu, KEYSTORE, None)


@pytest.fixture(scope="module")
def pki() -> tuple[TestSmki, MemoryKeyStore]:
    smki = TestSmki(seed="test_gbcs_crypto")
    creds = [
        *smki.issue_organisation_pair(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER),
        *smki.issue_organisation_pair(SUPPLIER, RemotePartyRole.SUPPLIER, "TEST SUPPLIER"),
        *smki.issue_device_pair(ESME),
        *smki.issue_device_pair(CHF),
    ]
    return smki, memory_store(creds)


def test_encoder_and_test_pki_messages_verify(pki: tuple[TestSmki, MemoryKeyStore]) -> None:
    _, store = pki
    # a Supplier-signed critical command (CS06) MAC'd by the ACB
    content = encode_asn1(
        "ActivateFirmwareCommand", {"manufacturerImageHash": bytes(32), "originatorCounter": 77}
    )
    apdu = GeneralSigning(
        CRA.COMMAND,
        77,
        SUPPLIER,
        ESME,
        OtherInformation(MessageCode.CS06_ACTIVATE_FIRMWARE),
        content,
        signature=None,
    )
    supplier_ds = store.private_key(SUPPLIER, DS)
    assert supplier_ds is not None
    command = protect(crypto.sign_pre_command(apdu, supplier_ds), store, ACB)
    a = analyse(command.encode(), store, ACB)
    assert (a.mac, a.signature, a.reencoded_equal) == (Verdict.VALID, Verdict.VALID, True)
    assert a.use_case == "CS06"
    # the device's signed response
    esme_ds = store.private_key(ESME, DS)
    assert esme_ds is not None
    response = crypto.sign_message(
        GeneralSigning(
            CRA.RESPONSE,
            77,
            ESME,
            SUPPLIER,
            OtherInformation(MessageCode.CS06_ACTIVATE_FIRMWARE),
            encode_asn1("ActivateFirmwareResponse", ("commandAccepted", None)),
        ),
        esme_ds,
    )
    a = analyse(response.encode(), store, ACB)
    assert (a.mac, a.signature) == (Verdict.ABSENT, Verdict.VALID)
    # a MAC'd CHF response carrying an encrypted DLMS part for the Supplier
    plain = Data.structure(Data(DataType.DOUBLE_LONG_UNSIGNED, 42)).encode()
    other = OtherInformation(0x0027, SUPPLIER, 1000, 2000)
    head = GeneralSigning(CRA.RESPONSE, 1000, CHF, ACB, other, b"")
    chf_ka = store.private_key(CHF, KA)
    sup_ka = store.private_key(SUPPLIER, KA)
    assert chf_ka is not None and sup_ka is not None
    key = crypto.payload_encryption_key(head, chf_ka, sup_ka.public_key())
    part = b"\x31\x00\x00\x00\x00" + crypto.encrypt_payload(key, CHF, plain)
    body = AccessResponse(invoke_id_for(1000), (Data.structure(Data.octet_string(part)),), ())
    msg = protect(replace(head, content=body.encode()), store, ACB)
    a = analyse(msg.encode(), store, ACB)
    assert a.mac is Verdict.VALID and a.reencoded_equal
    assert a.decrypted == (plain,)
    assert decode_data(plain).items[0].value == 42
    # and with the RTDS keystore the same message has no keys
    assert analyse(msg.encode(), KEYSTORE, ACB).mac is not Verdict.VALID


def test_encrypted_gbz_component_decrypts(pki: tuple[TestSmki, MemoryKeyStore]) -> None:
    _, store = pki
    gsme = ESME  # any device with KA credentials in the test PKI
    head = GeneralSigning(
        CRA.RESPONSE, 5, gsme, SUPPLIER, OtherInformation(0x0074), b""
    )  # GCS13a response
    dev_ka = store.private_key(gsme, KA)
    sup_ka = store.private_key(SUPPLIER, KA)
    assert dev_ka is not None and sup_ka is not None
    key = crypto.payload_encryption_key(head, dev_ka, sup_ka.public_key())
    zcl_payload = bytes.fromhex("0000000025000000")
    ciphered = b"\x31\x00\x00\x00\x00" + crypto.encrypt_payload(key, gsme, zcl_payload)
    component = GbzComponent(0x03, 0x0702, b"\x09\x01\x01", ciphered, additional_header=b"\x00\x00")
    apdu = replace(head, content=GbzPayload.of(component).encode())
    msg = protect(apdu, store, ACB)
    a = analyse(msg.encode(), store, ACB)
    assert isinstance(a.payload, GbzPayload) and a.payload.components[0].encrypted
    assert a.decrypted == (zcl_payload,)
    assert a.mac is Verdict.VALID and a.reencoded_equal
