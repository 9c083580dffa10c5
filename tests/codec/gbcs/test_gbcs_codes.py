"""The message-code and alert-code registry uses the specification's names."""

from __future__ import annotations

from emulator.codec.gbcs import (
    ALERT_CODE_NAMES,
    CRA,
    MESSAGE_CODE_NAMES,
    AlertCode,
    MessageCode,
    alert_code_name,
    message_code_name,
    use_case_of,
)


def test_spec_names() -> None:
    assert MessageCode.CCS01_ADD_DEVICE_TO_CHF_DEVICE_LOG == 0x0001
    assert MessageCode.CS03A1_METHOD_A_JOIN_METER == 0x000D
    assert MessageCode.CCS08_FIRMWARE_TRANSFER_ALERT == 0x0128
    assert CRA.COMMAND == 1 and CRA.RESPONSE == 2 and CRA.ALERT == 3
    assert AlertCode.CHF_DEVICE_LOG_CHANGED == 0x8F12
    assert message_code_name(0x010F) == "CCS06 Read CHF device log and check HAN communications"
    assert alert_code_name(0x8F72) == "Firmware Verification Successful"


def test_registry_is_complete_for_the_codes_the_rig_drives() -> None:
    """DOMAIN.md section 3: every message and alert code the rig drives has a name."""
    codes = [0x0001, 0x0002, 0x0003, 0x008C, 0x000D, 0x00AB, 0x000E, 0x00AF, 0x000F, 0x0010]
    codes += [0x0013, 0x010F, 0x00FE, 0x0062, 0x007F, 0x00CE, 0x00CF, 0x0128, 0x0059, 0x0084]
    codes += [0x0129, 0x0012, 0x00CA, *range(0x010A, 0x0116), 0x0018]
    for code in codes:
        assert code in MESSAGE_CODE_NAMES, hex(code)
        MessageCode(code)
    alerts = [0x8F12, 0x8F72, 0x8F1C, 0x8F8A, 0x8F89, 0x8183, 0x8F48, 0x8F49, 0x8F4A, 0x8F4B]
    alerts += [0x8F69, 0x8F43, 0x8F1E, 0x8F30, 0x8F3D, 0x8F66, 0x8F20, 0x8F21, 0x8F22, 0x8F23]
    alerts += [0x8F24, 0x8F25, 0x8F26, 0x8F28, 0x8F2A, 0x8F2C, 0x8F2D]
    for code in alerts:
        assert code in ALERT_CODE_NAMES, hex(code)
        AlertCode(code)
    assert len(MESSAGE_CODE_NAMES) > 200 and len(ALERT_CODE_NAMES) > 150
    assert set(MESSAGE_CODE_NAMES) == {int(m) for m in MessageCode}
    assert set(ALERT_CODE_NAMES) == {int(a) for a in AlertCode}


def test_use_case_ids() -> None:
    assert use_case_of(0x0001) == "CCS01"
    assert use_case_of(0x00AB) == "CS03A2"
    assert use_case_of(0x0027) == "ECS17b"
    assert use_case_of(0x00CA) == "0x00CA"
    assert use_case_of(0x7FFF) == "0x7FFF"
    assert message_code_name(0x7FFF).startswith("Unknown")
