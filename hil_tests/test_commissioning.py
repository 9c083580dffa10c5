"""Commissioning a premises, on whichever bench ``--bench`` names (the virtual one by default).

The positive path is the ``commission-premises`` scenario's, run whole and step by step: 12.2 for
the hub and its devices, 8.14.1, 8.11 Add for each (SMI Whitelisted), then each joins with its
install code and runs CBKE with the hub, ... The negative cases are what GBCS and ZSE say must
not work: a wrong install code, a device never whitelisted, a device removed by 8.11 coming back,
a replayed GBCS command, and a critical command with a bad signature (refused by the DCC, and
by the device when it gets past the DCC).

Tests that drive a device's stack themselves (join, leave, rejoin with a given key) need the
bench's devices to be emulators (``emulated-devices``): a physical device joins when it joins,
so a bench with one skips them and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from emulator.codec.gbcs import (
    CRA,
    AlertCode,
    GeneralCiphering,
    GeneralSigning,
    MessageCode,
    decode_message,
)
from emulator.codec.security import keys
from emulator.devices.meter_clock import STATUS_DOUBTFUL
from emulator.han.clock import VirtualClock
from emulator.han.port import DropReason, HanEvent, JoinRefused
from emulator.han.stack.node import JoinError
from rig.dcc import (
    CommandVariant,
    DeviceAlert,
    PreCommand,
    ResponseCode,
    RestoreHANDeviceLog,
    ServiceReferenceVariant,
    ServiceRequest,
    ServiceResponse,
    SmiStatus,
)
from rig.scenarios.commission_premises import commission_premises
from rig.scenarios.context import EventLog, RunContext
from rig.scenarios.framework import Outcome, Scenario
from rig.scenarios.han_join import HUB, POLL_PERIOD, Node
from rig.scenarios.premises import WAN_ONE_WAY_DELAY
from rig.scenarios.runner import execute
from rig.scenarios.whitelist_and_join import whitelist_and_join

from .plugin import METER_ROLES, Premises

WAN_ROUND_TRIP = 2 * WAN_ONE_WAY_DELAY + 1.0
"""Modelled seconds after which a command put on the WAN link has surely been handled."""


def smi_status(premises: Premises, role: str) -> SmiStatus:
    record = premises.dcc.inventory.smi(premises.member(role).eui64)
    assert record is not None, f"{role} is not in the SMI"
    return record.status


@contextlib.asynccontextmanager
async def han_events(node: Node) -> AsyncIterator[list[HanEvent]]:
    """What ``node``'s stack reports while the block runs (joins, refusals, drops)."""
    seen: list[HanEvent] = []

    async def collect() -> None:
        async for event in node.stack.events():
            seen.append(event)

    task = asyncio.get_running_loop().create_task(collect())
    await asyncio.sleep(0)  # subscribed before anything happens
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def join_and_cbke(premises: Premises, role: str) -> None:
    """The scenario's join step for one meter: join with its install code, CBKE with the hub."""
    meter, hub = premises.nodes[role], premises.nodes["hub"]
    await meter.stack.join(keys.install_code_key(premises.install_codes[role]))
    assert meter.stack.joined
    key = await meter.cbke.establish(HUB.eui64)
    await premises.clock.sleep(POLL_PERIOD)  # the hub installs once the last frame lands
    assert hub.stack.link_key(meter.member.eui64) == key, f"the hub holds another key for {role}"


# ---- the positive path --------------------------------------------------------------------------


@pytest.mark.hil_virtual_only
@pytest.mark.parametrize("sc", [commission_premises, whitelist_and_join], ids=lambda sc: sc.name)
async def test_the_scenario_passes(sc: Scenario, tmp_path: Path) -> None:
    """``hil-rig run commission-premises`` (and its first half) and this suite run the same
    steps: the scenario itself, run here on the suite's loop, passes every step."""
    clock = VirtualClock()
    with EventLog(tmp_path / "events.jsonl", clock) as events:
        run = RunContext(tmp_path, 1, clock, events)
        error = await execute(sc, run)
    assert error is None
    assert [(s.name, s.outcome) for s in run.steps] == [
        (spec.name, Outcome.PASS) for spec in sc.steps
    ]


@pytest.mark.hil_feature("emulated-devices")
async def test_commissioning(premises: Premises) -> None:
    supplier = premises.supplier
    await supplier.set_up()
    assert smi_status(premises, "hub") is SmiStatus.COMMISSIONED
    for role in METER_ROLES:
        assert smi_status(premises, role) is SmiStatus.PENDING
        code = await supplier.whitelist(premises.member(role).eui64, premises.install_codes[role])
        assert code is ResponseCode.I0, f"8.11 {role}: {code.value}"
        assert smi_status(premises, role) is SmiStatus.WHITELISTED
        alert = await supplier.alert(AlertCode.CHF_DEVICE_LOG_CHANGED)  # CS14, after the response
        assert alert.response_id.originator == HUB.eui64
    for role in METER_ROLES:
        await join_and_cbke(premises, role)
    assert premises.hub.rejected == {}
    han = premises.han.nodes
    assert sum(n.drops[DropReason.REPLAY] for n in han) == 0
    assert sum(n.drops[DropReason.WRONG_KEY] for n in han) == 0


@pytest.mark.hil_feature("emulated-hub")
async def test_the_hub_logs_what_the_dcc_whitelisted(premises: Premises) -> None:
    await premises.supplier.set_up()
    for role in METER_ROLES:
        await premises.supplier.whitelist(premises.member(role).eui64, premises.install_codes[role])
        entry = premises.hub.device_log.get(premises.member(role).eui64)
        assert entry is not None and entry.install_code == premises.install_codes[role]
    assert len(premises.hub.device_log) == len(METER_ROLES)


# ---- negative cases -----------------------------------------------------------------------------


@pytest.mark.hil_feature("emulated-devices")
@pytest.mark.parametrize("role", METER_ROLES)
async def test_a_wrong_install_code_cannot_join(premises: Premises, role: str) -> None:
    """The DCC whitelists code A; the device holds code B. The hub admits the EUI-64 but sends
    the network key under A's link key: the device cannot read it and never announces itself."""
    await premises.supplier.set_up()
    code_a = premises.install_codes[role]
    code_b = bytes(b ^ 0x5A for b in code_a)
    assert await premises.supplier.whitelist(premises.member(role).eui64, code_a) is ResponseCode.I0
    meter, hub = premises.nodes[role], premises.nodes["hub"]
    async with han_events(hub) as seen:
        with pytest.raises(JoinError):  # the network key cannot be decrypted
            await meter.stack.join(keys.install_code_key(code_b))
        await premises.clock.sleep(meter.stack.config.security_timeout + POLL_PERIOD)
    assert not meter.stack.joined
    assert meter.stack.drops[DropReason.WRONG_KEY] >= 1  # the network key, under code A's key
    refused = [e for e in seen if isinstance(e, JoinRefused) and e.eui64 == meter.member.eui64]
    assert refused, "the hub did not refuse the joiner"
    assert hub.stack.link_key(meter.member.eui64) is None
    assert smi_status(premises, role) is SmiStatus.WHITELISTED


@pytest.mark.hil_feature("emulated-devices")
@pytest.mark.parametrize("role", METER_ROLES)
async def test_a_device_not_whitelisted_finds_no_open_network(
    premises: Premises, role: str
) -> None:
    """Pre-notified but no 8.11: the hub's join window is shut, no beacon permits association."""
    await premises.supplier.set_up()
    meter = premises.nodes[role]
    with pytest.raises(JoinError, match="no beacon permitting association"):
        await meter.stack.join(keys.install_code_key(premises.install_codes[role]))
    assert not meter.stack.joined
    assert smi_status(premises, role) is SmiStatus.PENDING


@pytest.mark.hil_feature("emulated-devices")
async def test_a_device_not_whitelisted_is_refused_while_another_may_join(
    premises: Premises,
) -> None:
    """8.11 for the ESME opens the join window; the GSME, not on the Device Log, asks to
    associate during it and the hub, as Trust Centre, refuses it."""
    await premises.supplier.set_up()
    esme, gsme = premises.member("esme"), premises.member("gsme")
    assert await premises.supplier.whitelist(esme.eui64, premises.install_codes["esme"]) is (
        ResponseCode.I0
    )
    async with han_events(premises.nodes["hub"]) as seen:
        with pytest.raises(JoinError, match="association refused: PAN_ACCESS_DENIED"):
            await premises.nodes["gsme"].stack.join(
                keys.install_code_key(premises.install_codes["gsme"])
            )
    assert any(isinstance(e, JoinRefused) and e.eui64 == gsme.eui64 for e in seen)
    assert smi_status(premises, "gsme") is SmiStatus.PENDING


async def removed(premises: Premises, role: str) -> Node:
    """Whitelist, join and CBKE ``role``; then SRV 8.11 Remove (CCS02) takes it off the log."""
    await premises.supplier.set_up()
    member = premises.member(role).eui64
    assert await premises.supplier.whitelist(member, premises.install_codes[role]) is (
        ResponseCode.I0
    )
    await join_and_cbke(premises, role)
    assert await premises.supplier.remove(member) is ResponseCode.I0
    return premises.nodes[role]


@pytest.mark.hil_feature("emulated-devices")
@pytest.mark.hil_feature("emulated-hub")
async def test_8_11_remove_takes_the_device_off_the_device_log(premises: Premises) -> None:
    meter = await removed(premises, "esme")
    eui = meter.member.eui64
    assert smi_status(premises, "esme") is SmiStatus.PENDING  # [U] see Inventory
    assert premises.hub.device_log.get(eui) is None
    assert [e.eui64 for e in premises.hub.device_log.historic] == [eui]
    codes = [_message_code(m) for m in premises.wan_messages()]
    ccs02 = MessageCode.CCS02_REMOVE_DEVICE_FROM_CHF_DEVICE_LOG
    assert codes.count(ccs02) == 2  # the command and the hub's response


@pytest.mark.hil_feature("emulated-devices")
@pytest.mark.parametrize("role", METER_ROLES)
async def test_a_removed_device_cannot_join_again(premises: Premises, role: str) -> None:
    meter = await removed(premises, role)
    await meter.stack.leave()
    with contextlib.suppress(JoinError):  # the join may fail at any of its steps
        await meter.stack.join(keys.install_code_key(premises.install_codes[role]))
    assert not meter.stack.joined, f"{role} joined again after 8.11 Remove"
    hub = premises.nodes["hub"].stack  # and the hub holds no key for it: it was not let in
    assert hub.link_key(meter.member.eui64) is None


@pytest.mark.hil_feature("emulated-devices")
@pytest.mark.parametrize("role", METER_ROLES)
async def test_a_removed_device_cannot_rejoin(premises: Premises, role: str) -> None:
    meter = await removed(premises, role)
    with pytest.raises(JoinError):  # the hub refuses the secured rejoin
        await meter.stack.rejoin()
    assert premises.nodes["hub"].stack.link_key(meter.member.eui64) is None


@pytest.mark.hil_virtual_only
async def test_8_12_1_restores_a_removed_device_with_the_key_it_had(premises: Premises) -> None:
    """CCS03 brings the ESME back from the hub's historic log: Whitelisted again, and it joins
    with the link key it already held, no install code needed."""
    hub = premises.nodes["hub"].stack
    await premises.supplier.set_up()
    esme = premises.member("esme").eui64
    await premises.supplier.whitelist(esme, premises.install_codes["esme"])
    await join_and_cbke(premises, "esme")
    key = hub.link_key(esme)
    assert key is not None
    assert await premises.supplier.remove(esme) is ResponseCode.I0
    meter = premises.nodes["esme"]
    await meter.stack.leave()
    answer = await premises.supplier.request(
        HUB.eui64,
        ServiceReferenceVariant.RESTORE_HAN_DEVICE_LOG,
        RestoreHANDeviceLog((esme,)),
        timeout=60.0,
    )
    assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.I0
    assert smi_status(premises, "esme") is SmiStatus.WHITELISTED
    await meter.stack.join(key)  # admitted with its old key (then renewed, as every join ends)
    assert meter.stack.joined and hub.link_key(esme) not in (None, key)
    refused = await premises.supplier.submit(
        HUB.eui64, ServiceReferenceVariant.RESTORE_HAN_DEVICE_LOG, RestoreHANDeviceLog((esme,))
    )
    assert refused.response_code is ResponseCode.E5  # Whitelisted: nothing to restore


def _message_code(data: bytes) -> MessageCode:
    message = decode_message(data)
    assert isinstance(message, GeneralCiphering)
    return MessageCode(message.apdu.other_information.message_code)


def _cra(data: bytes) -> CRA:
    message = decode_message(data)
    assert isinstance(message, GeneralCiphering)
    return message.apdu.cra


async def replay_ccs01(premises: Premises) -> tuple[bytes, int]:
    """Whitelist then remove the ESME; then put the CCS01 captured off the WAN link back on it.
    Were the replay obeyed, the ESME would be back on the Device Log. Returns the CCS01 and how
    many GBCS messages had crossed the link before it was replayed."""
    await premises.supplier.set_up()
    esme = premises.member("esme").eui64
    assert await premises.supplier.whitelist(esme, premises.install_codes["esme"]) is (
        ResponseCode.I0
    )
    assert await premises.supplier.remove(esme) is ResponseCode.I0
    await premises.clock.sleep(WAN_ROUND_TRIP)  # the CS14 alert of the removal is in
    crossed = premises.wan_messages()
    [ccs01] = [
        m
        for m in crossed
        if _cra(m) is CRA.COMMAND
        and _message_code(m) is MessageCode.CCS01_ADD_DEVICE_TO_CHF_DEVICE_LOG
    ]
    premises.link.to_hub.put_nowait(ccs01)
    await premises.clock.sleep(WAN_ROUND_TRIP)
    return ccs01, len(crossed)


@pytest.mark.hil_feature("wan-injection", "emulated-hub")
async def test_a_replayed_gbcs_command_is_refused(premises: Premises) -> None:
    ccs01, crossed = await replay_ccs01(premises)
    esme = premises.member("esme").eui64
    assert premises.hub.rejected == {"replayed counter": 1}
    assert premises.hub.device_log.get(esme) is None  # nothing changed: still removed
    assert smi_status(premises, "esme") is SmiStatus.PENDING
    after = premises.wan_messages()[crossed:]
    assert after[0] == ccs01  # the hub sent no response back, only its alert (next test)
    assert [(_cra(m), _message_code(m)) for m in after[1:]] == [
        (CRA.ALERT, MessageCode.GENERIC_NON_CRITICAL_ALERT)
    ]


@pytest.mark.hil_feature("wan-injection")
async def test_a_replayed_gbcs_command_raises_an_alert(premises: Premises) -> None:
    await replay_ccs01(premises)
    # [U] 0x8F3D for a replay (GbcsGate); either of the two DOMAIN.md names passes here.
    alert = await premises.supplier.alert(
        AlertCode.INTEGRITY_CHECK_OF_CONTENT_OR_FORMAT_OF_COMMAND_FAILED,
        AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE,
        timeout=60.0,
    )
    assert alert.response_id.originator == HUB.eui64
    # besides it, the Supplier heard only the add's and the remove's CS14 alerts
    heard = premises.supplier.alerts + premises.dcc.pending_messages()
    codes = [m.alert_code for m in heard if isinstance(m, DeviceAlert)]
    assert codes == [AlertCode.CHF_DEVICE_LOG_CHANGED] * 2


async def commissioning_pre_command(premises: Premises) -> tuple[ServiceRequest, PreCommand]:
    """The ESME whitelisted and joined, then 8.1.1 asked for (CV 4): the DCC's Pre-Command."""
    await premises.supplier.set_up()
    esme = premises.member("esme").eui64
    assert await premises.supplier.whitelist(esme, premises.install_codes["esme"]) is (
        ResponseCode.I0
    )
    await join_and_cbke(premises, "esme")
    request = ServiceRequest(
        premises.supplier.next_request_id(esme),
        ServiceReferenceVariant.COMMISSION_DEVICE,
        premises.supplier.commission_body(),
        CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND,
    )
    [pre_command] = await premises.dcc.submit(request)
    assert isinstance(pre_command, PreCommand)
    return request, pre_command


def _bad_signature(signed: bytes) -> bytes:
    """``signed`` (a general-signing APDU) with one bit of its signature flipped."""
    apdu = decode_message(signed)
    assert isinstance(apdu, GeneralSigning) and apdu.signature is not None
    bad = bytes([apdu.signature[0] ^ 0x01]) + apdu.signature[1:]
    return replace(apdu, signature=bad).encode()


@pytest.mark.hil_feature("emulated-devices")
async def test_the_dcc_refuses_a_signed_pre_command_whose_signature_fails(
    premises: Premises,
) -> None:
    request, pre_command = await commissioning_pre_command(premises)
    signed = premises.supplier.sign(request, pre_command)
    crossed = len(premises.wan_messages())
    forged = replace(signed, gbcs_payload=_bad_signature(signed.gbcs_payload))
    [answer] = await premises.dcc.submit(forged)
    assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.E1
    await premises.clock.sleep(WAN_ROUND_TRIP)
    assert len(premises.wan_messages()) == crossed  # nothing went to the device
    assert smi_status(premises, "esme") is SmiStatus.WHITELISTED


@pytest.mark.hil_feature("wan-injection")
@pytest.mark.hil_virtual_only
async def test_a_device_refuses_a_critical_command_whose_signature_fails(
    premises: Premises,
) -> None:
    """Past the DCC (injected on the WAN, MAC'd by the ACB): the ESME finds the Supplier's
    signature bad, acts on nothing, answers nothing, and raises 0x8F3D."""
    request, pre_command = await commissioning_pre_command(premises)
    signed = premises.supplier.sign(request, pre_command)
    apdu = decode_message(_bad_signature(signed.gbcs_payload))
    assert isinstance(apdu, GeneralSigning)
    assert premises.devices is not None and premises.devices.esme is not None
    esme = premises.devices.esme
    premises.link.to_hub.put_nowait(premises.dcc.acb.protect(apdu).encode())
    alert = await premises.supplier.alert(AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE)
    assert alert.response_id.originator == premises.member("esme").eui64
    assert esme.gate is not None and esme.gate.rejected == {"signature": 1}
    assert esme.meter_clock.status == STATUS_DOUBTFUL  # the clock was never set
    assert smi_status(premises, "esme") is SmiStatus.WHITELISTED
