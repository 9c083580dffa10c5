"""OTA firmware through the hub, the negative cases and the faults (issue 7, on the virtual bench).

The positive paths are the ``ota-esme``, ``ota-gsme`` and ``ota-ppmid`` scenarios (run whole in
``tests/rig/test_scenario_ota.py``). Here each test installs the hub and its device(s) with the
scenarios' shared installation steps, then drives SRVs 11.1 / 11.3 / 11.4 as the Supplier:

- a wrong signature, a corrupted block: receipt alert 0x8F1C, the old version keeps running;
- CS06 response codes 1 (no image held) and 2 (hash mismatch);
- a future-dated CS06: ``commandAccepted`` (NULL) now, alert 0x00CA (0x8F66) at that modelled
  time, even across a power cycle of the meter in between;
- a meter power-cycled mid-transfer resumes from the offset in its state store (not zero);
- the hub's OTA server restarted mid-transfer resumes the transfer;
- 20 % frame loss on every link (``LinkModel.default_loss``) still completes;
- WAIT_FOR_DATA when the hub already serves as many devices as it may;
- Image Page Requests.

Everything runs on modelled time; these tests need the emulators' insides (fault knobs, state
stores, the OTA server), so they are virtual-bench only. MP202 requirement 7 (no 11.4 to a PPMID
in a SMETS1 system) is checked in every case of the dual-mode matrix (``test_dual_mode.py``).
"""

from __future__ import annotations

import contextlib
import datetime
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import DS, AlertCode, Asn1Payload, analyse
from emulator.codec.ota import build_image, manufacturer_image_sha256, parse_image
from emulator.codec.zcl.ota import OTA_UPGRADE
from emulator.devices.esme import Esme
from emulator.devices.ota_client import OtaClient
from emulator.devices.ota_server import ServingProfile
from emulator.devices.registers import METERING, PREPAYMENT
from emulator.devices.tunnel import TUNNELING, TunnelServer
from emulator.han.clock import VirtualClock
from emulator.han.port import ApsMessage
from emulator.han.radio import LinkModel, RadioModel
from emulator.pki.smki import RemotePartyRole, TestSmki
from rig.dcc import (
    CplEntry,
    DeviceAlert,
    ResponseCode,
    ServiceReferenceVariant,
    ServiceResponse,
)
from rig.dcc.requests import (
    ActivateFirmware,
    UpdateFirmware,
    UpdatePPMIDFirmware,
)
from rig.scenarios.context import EVENTS_FILE, EventLog, RunContext
from rig.scenarios.han_join import ESME, GSME, HUB, Member
from rig.scenarios.installation import (
    RESPONSE_TIMEOUT,
    Premises,
    join_step,
    setup_step,
    whitelist_step,
)
from rig.scenarios.ota import HARDWARE_RANGE, NEW_VERSION
from rig.scenarios.premises import (
    ACB,
    CPL,
    GPF,
    OTA_PROFILES,
    PPMID,
    SUPPLIER,
    PremisesKeys,
    Supplier,
    Wired,
    premises_keys,
    wire_premises,
)

pytestmark = pytest.mark.hil_virtual_only

SRV = ServiceReferenceVariant
RUNNING = bytes.fromhex("0123ABCD")
"""Every emulated device's version before an update (as the RTDS ECS52 / CS08 report)."""
TRANSFER_TIMEOUT = 3600.0
OK = AlertCode.FIRMWARE_VERIFICATION_SUCCESSFUL
FAILED = AlertCode.FIRMWARE_VERIFICATION_FAILED


@dataclass
class Ota:
    run: RunContext
    wired: Wired
    supplier: Supplier
    keys: PremisesKeys
    clock: VirtualClock

    def client(self, device: Eui64) -> OtaClient:
        owner: Any = {
            ESME.eui64: self.wired.esme,
            GSME.eui64: self.wired.gsme,
            PPMID.eui64: self.wired.ppmid,
        }[device]
        client = owner.firmware.ota
        assert client is not None
        return client  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def installed(
    out: Path,
    members: Sequence[Member],
    *,
    model: RadioModel | None = None,
    hub_cpl: CplEntry | None = None,
    seed: int = 1,
) -> AsyncIterator[Ota]:
    """The hub and ``members`` installed as the OTA scenarios install them: 12.2, 8.14.1, 8.11
    for each device, each joined with its install code and CBKE done with the hub."""
    clock = VirtualClock()
    async with contextlib.AsyncExitStack() as stack:
        events = stack.enter_context(EventLog(out / EVENTS_FILE, clock))
        run = RunContext(out, seed, clock, events)
        run.acb_eui = ACB
        keys = premises_keys(f"hil-ota/{seed}")
        wired = await stack.enter_async_context(
            wire_premises(run, keys, (HUB, *members), model=model)
        )
        supplier = Supplier(wired.dcc, keys.supplier, clock)
        await stack.enter_async_context(wired.dcc)
        premises = Premises(run, wired, supplier)
        devices = [HUB.eui64, *(GPF for m in members if m is GSME), *(m.eui64 for m in members)]
        if hub_cpl is None:
            await premises.set_up(setup_step(devices), devices)
        else:  # a hub of another CPL row (its SMETS version), pre-notified as that model
            wired.dcc.inventory.add_cpl_entry(hub_cpl)
            body = hub_cpl.prenotification(HUB.eui64)
            sent = await supplier.submit(ACB, SRV.DEVICE_PRE_NOTIFICATION, body)
            assert sent.response_code is ResponseCode.I0
            for device in devices[1:]:
                assert await supplier.prenotify(device) is ResponseCode.I0
            assert await supplier.hub_installed() is ResponseCode.I0
        rng = random.Random(f"hil-ota/codes/{seed}")
        for m in members:
            await premises.whitelist(whitelist_step(m), m, rng.randbytes(16))
        for m in members:
            await premises.join(join_step(m), m)
        for m in members:  # the new versions are on the CPL before any rollout
            listed = replace(CPL[m.eui64], firmware_version=f"{NEW_VERSION[m.eui64]:08X}")
            wired.dcc.inventory.add_cpl_entry(listed)
        yield Ota(run, wired, supplier, keys, clock)


def image_for(
    keys: PremisesKeys, device: Eui64, size: int = 8 * 1024, *, signer: Any = "supplier"
) -> bytes:
    """A test image for ``device``'s model: signed by the premises' Supplier, by ``signer``
    (another key), or unsigned (``None``)."""
    profile = OTA_PROFILES[device]
    lo, hi = HARDWARE_RANGE[device]
    key = keys.supplier.private_key(SUPPLIER, DS) if signer == "supplier" else signer
    return build_image(
        manufacturer_id=profile.manufacturer,
        image_type=profile.image_type,
        file_version=NEW_VERSION[device],
        payload=random.Random(f"hil-ota/{device.hex}/{size}").randbytes(size),
        minimum_hardware_version=lo,
        maximum_hardware_version=hi,
        private_key=key,
    )


def image_hash(image: bytes) -> bytes:
    return manufacturer_image_sha256(parse_image(image))


async def distribute(o: Ota, device: Eui64, image: bytes) -> DeviceAlert:
    """SRV 11.1 (11.4 for the PPMID) acknowledged, then the device's receipt alert (the hub's
    CCS08 for the PPMID)."""
    if device == PPMID.eui64:
        sent = await o.supplier.submit(
            device, SRV.UPDATE_PPMID_FIRMWARE, UpdatePPMIDFirmware(image)
        )
        codes = (AlertCode.FIRMWARE_TRANSFER_ALERT_SUCCESS, AlertCode.FIRMWARE_TRANSFER_ALERT_FAIL)
    else:
        sent = await o.supplier.submit(device, SRV.UPDATE_FIRMWARE, UpdateFirmware(image))
        codes = (OK, FAILED)
    assert sent.response_code is ResponseCode.I99, sent.response_code
    return await o.supplier.alert(*codes, timeout=TRANSFER_TIMEOUT)


async def activate(
    o: Ota, device: Eui64, digest: bytes, when: datetime.datetime | None = None
) -> Any:
    """SRV 11.3 (CS06); the device's ActivateFirmwareResponse as decoded (choice, value)."""
    answer = await o.supplier.request(
        device, SRV.ACTIVATE_FIRMWARE, ActivateFirmware(digest, when), RESPONSE_TIMEOUT
    )
    assert isinstance(answer, ServiceResponse), answer
    assert answer.gbcs_payload is not None
    payload = analyse(answer.gbcs_payload, o.supplier.keystore, ACB).payload
    assert isinstance(payload, Asn1Payload)
    return payload.value


def smi_version(o: Ota, device: Eui64) -> str | None:
    record = o.wired.dcc.inventory.smi(device)
    assert record is not None
    return record.firmware_version


# MP202 requirement 7 (11.4 only to a PPMID enrolled in SMETS2+) is checked end to end in every
# case of the dual-mode matrix, where a SMETS1 system is a SMETS1 hub behind the S1SP
# (``hil_tests/test_dual_mode.py``, ``rig/scenarios/dual_mode.py``).


# ---- integrity: the old version keeps running ---------------------------------------------------


async def test_a_wrong_signature_ends_in_8f1c_and_cs06_finds_no_image(tmp_path: Path) -> None:
    async with installed(tmp_path, (ESME,)) as o:
        impostor = TestSmki(seed="not the supplier").issue_organisation_pair(
            SUPPLIER, RemotePartyRole.SUPPLIER
        )
        key = impostor[1].private_key  # its Digital Signing pair
        image = image_for(o.keys, ESME.eui64, signer=key)
        alert = await distribute(o, ESME.eui64, image)
        assert alert.alert_code == FAILED
        esme = o.wired.esme
        assert esme is not None and esme.firmware_version == RUNNING
        assert esme.slots.download is None  # discarded
        choice, outcome = await activate(o, ESME.eui64, image_hash(image))
        assert choice == "executionOutcome" and outcome["responseCode"] == 1  # no image held
        assert bytes(outcome["firmwareVersion"]) == RUNNING
        assert smi_version(o, ESME.eui64) != f"{NEW_VERSION[ESME.eui64]:08X}"


async def test_a_corrupted_block_ends_in_8f1c_with_the_old_version_running(
    tmp_path: Path,
) -> None:
    async with installed(tmp_path, (ESME,)) as o:
        assert o.wired.hub.firmware is not None
        o.wired.hub.firmware.server.profiles[ESME.eui64] = ServingProfile(corrupt_offset=64 * 50)
        image = image_for(o.keys, ESME.eui64)
        alert = await distribute(o, ESME.eui64, image)
        assert alert.alert_code == FAILED
        esme = o.wired.esme
        assert esme is not None and esme.firmware_version == RUNNING
        assert esme.firmware is not None
        (verification,) = esme.firmware.receipts
        assert verification.hash != image_hash(image)  # the hash it calculated shows it


# ---- CS06 ---------------------------------------------------------------------------------------


async def test_cs06_with_no_image_held_answers_1(tmp_path: Path) -> None:
    async with installed(tmp_path, (ESME,)) as o:
        choice, outcome = await activate(o, ESME.eui64, bytes(32))
        assert (choice, outcome["responseCode"]) == ("executionOutcome", 1)


async def test_cs06_with_a_hash_mismatch_answers_2_and_keeps_the_image(tmp_path: Path) -> None:
    async with installed(tmp_path, (ESME,)) as o:
        image = image_for(o.keys, ESME.eui64)
        assert (await distribute(o, ESME.eui64, image)).alert_code == OK
        choice, outcome = await activate(o, ESME.eui64, bytes(32))
        assert (choice, outcome["responseCode"]) == ("executionOutcome", 2)
        assert bytes(outcome["firmwareVersion"]) == RUNNING
        choice, outcome = await activate(o, ESME.eui64, image_hash(image))  # the right hash
        assert outcome["responseCode"] == 0
        assert bytes(outcome["firmwareVersion"]) == NEW_VERSION[ESME.eui64].to_bytes(4, "big")


async def test_a_future_dated_activation_answers_null_then_alerts_00ca_at_that_time(
    tmp_path: Path,
) -> None:
    async with installed(tmp_path, (ESME,)) as o:
        image = image_for(o.keys, ESME.eui64)
        assert (await distribute(o, ESME.eui64, image)).alert_code == OK
        when = (o.clock.datetime() + datetime.timedelta(hours=2)).replace(microsecond=0)
        assert await activate(o, ESME.eui64, image_hash(image), when) == ("commandAccepted", None)
        esme = o.wired.esme
        assert esme is not None and esme.firmware_version == RUNNING
        alert = await o.supplier.alert(
            AlertCode.FUTURE_DATE_HAN_INTERFACE_COMMAND_SUCCESSFULLY_ACTIONED, timeout=3 * 3600
        )
        assert when <= o.clock.datetime() <= when + datetime.timedelta(seconds=10)
        assert alert.gbcs_payload is not None
        value = analyse(alert.gbcs_payload, o.supplier.keystore, ACB).payload
        assert isinstance(value, Asn1Payload)
        assert value.value["executionOutcome"]["responseCode"] == 0
        assert esme.firmware_version == NEW_VERSION[ESME.eui64].to_bytes(4, "big")
        assert smi_version(o, ESME.eui64) == f"{NEW_VERSION[ESME.eui64]:08X}"


# ---- power cycles and restarts ------------------------------------------------------------------


def _ignore_han(node_applications: dict[int, Any], clusters: Sequence[int]) -> None:
    async def off(msg: ApsMessage) -> None:
        del msg  # powered off: nothing answers

    for cluster in clusters:
        node_applications[cluster] = off


async def power_cycle_esme(o: Ota, off_seconds: float) -> Esme:
    """The ESME off for ``off_seconds``, then a new actor over the same state store. [I] The
    hub's tunnel to it is kept (the CHF reopens tunnels to its devices; not modelled here)."""
    old = o.wired.esme
    assert old is not None
    node = o.wired.nodes[ESME.eui64]
    tunnel = node.applications[TUNNELING].__self__  # type: ignore[attr-defined]
    assert isinstance(tunnel, TunnelServer)
    await old.aclose()
    _ignore_han(node.applications, (TUNNELING, PREPAYMENT, METERING, OTA_UPGRADE))
    await o.clock.sleep(off_seconds)
    esme = Esme(
        node.stack, old.store, o.keys.esme, ACB, o.clock,
        cbke=node.cbke, trust_centre=HUB.eui64, ota=OTA_PROFILES[ESME.eui64], supplier=SUPPLIER,
    )  # fmt: skip
    tunnel.on_gbcs = esme.on_gbcs
    esme.send_gbcs = tunnel.push
    node.applications[TUNNELING] = tunnel.handle
    for cluster in (PREPAYMENT, METERING, OTA_UPGRADE):
        node.applications[cluster] = esme.handle
    object.__setattr__(o.wired, "esme", esme)  # Wired is frozen: the premises' ESME is new
    return esme


async def until(o: Ota, condition: Any, timeout: float = TRANSFER_TIMEOUT) -> None:
    async with o.clock.timeout(timeout):
        while not condition():
            await o.clock.sleep(0.05)


async def test_a_power_cycled_esme_resumes_from_its_stored_offset(tmp_path: Path) -> None:
    async with installed(tmp_path, (ESME,)) as o:
        image = image_for(o.keys, ESME.eui64, 32 * 1024)
        sent = await o.supplier.submit(ESME.eui64, SRV.UPDATE_FIRMWARE, UpdateFirmware(image))
        assert sent.response_code is ResponseCode.I99
        esme = o.wired.esme
        assert esme is not None
        await until(
            o, lambda: (d := esme.slots.download) is not None and d.offset >= len(image) // 2
        )
        esme = await power_cycle_esme(o, off_seconds=30)
        stored = esme.slots.download
        assert stored is not None and 0 < stored.offset < len(image)
        client = o.client(ESME.eui64)
        alert = await o.supplier.alert(OK, FAILED, timeout=TRANSFER_TIMEOUT)
        assert alert.alert_code == OK
        remaining = -(-(len(image) - stored.offset) // 64)
        assert client.stats.blocks == remaining  # from the stored offset, not from zero
        assert esme.slots.download is not None and esme.slots.download.verified
        _, outcome = await activate(o, ESME.eui64, image_hash(image))
        assert outcome["responseCode"] == 0


async def test_a_future_dated_activation_survives_a_power_cycle(tmp_path: Path) -> None:
    async with installed(tmp_path, (ESME,)) as o:
        image = image_for(o.keys, ESME.eui64)
        assert (await distribute(o, ESME.eui64, image)).alert_code == OK
        when = (o.clock.datetime() + datetime.timedelta(hours=1)).replace(microsecond=0)
        assert await activate(o, ESME.eui64, image_hash(image), when) == ("commandAccepted", None)
        esme = await power_cycle_esme(o, off_seconds=600)
        assert esme.firmware is not None and len(esme.firmware.pending_activations()) == 1
        await o.supplier.alert(
            AlertCode.FUTURE_DATE_HAN_INTERFACE_COMMAND_SUCCESSFULLY_ACTIONED, timeout=2 * 3600
        )
        assert when <= o.clock.datetime() <= when + datetime.timedelta(seconds=10)
        assert esme.firmware_version == NEW_VERSION[ESME.eui64].to_bytes(4, "big")
        assert esme.firmware.pending_activations() == []


async def test_a_hub_restart_mid_transfer_resumes(tmp_path: Path) -> None:
    """The hub's OTA server goes silent (power off) long enough for the ESME to give the block
    up, then restarts from the hub's state store and notifies again; the ESME resumes from its
    own offset. [I] The hub's radio stack keeps its network state (its restart is
    ``tests/han/test_stack.py``'s)."""
    async with installed(tmp_path, (ESME,)) as o:
        hub, firmware = o.wired.hub, o.wired.hub.firmware
        assert firmware is not None
        image = image_for(o.keys, ESME.eui64, 32 * 1024)
        sent = await o.supplier.submit(ESME.eui64, SRV.UPDATE_FIRMWARE, UpdateFirmware(image))
        assert sent.response_code is ResponseCode.I99
        esme = o.wired.esme
        assert esme is not None
        await until(
            o, lambda: (d := esme.slots.download) is not None and d.offset >= len(image) // 3
        )
        hub_node = o.wired.nodes[HUB.eui64]
        _ignore_han(hub_node.applications, (OTA_UPGRADE,))
        client = o.client(ESME.eui64)
        await until(o, lambda: not client.busy, timeout=600)  # the ESME gave up
        offset = esme.slots.download.offset  # type: ignore[union-attr]
        assert offset > 0
        hub_node.applications[OTA_UPGRADE] = hub.handle
        await firmware.restart()
        alert = await o.supplier.alert(OK, FAILED, timeout=TRANSFER_TIMEOUT)
        assert alert.alert_code == OK
        assert client.stats.blocks == -(-(len(image) - offset) // 64)


# ---- the radio and the hub's capacity -----------------------------------------------------------


async def test_20_percent_frame_loss_still_completes(tmp_path: Path) -> None:
    model = RadioModel(link=LinkModel(default_loss=0.2))
    async with installed(tmp_path, (ESME,), model=model) as o:
        image = image_for(o.keys, ESME.eui64, 16 * 1024)
        assert (await distribute(o, ESME.eui64, image)).alert_code == OK
        stats = o.client(ESME.eui64).stats
        assert stats.blocks == -(-len(image) // 64)
        _, outcome = await activate(o, ESME.eui64, image_hash(image))
        assert outcome["responseCode"] == 0


async def test_wait_for_data_when_the_hub_is_busy(tmp_path: Path) -> None:
    async with installed(tmp_path, (ESME, PPMID)) as o:
        firmware = o.wired.hub.firmware
        assert firmware is not None
        firmware.server.max_transfers = 1  # the hub serves one device at a time
        esme_image = image_for(o.keys, ESME.eui64, 16 * 1024)
        ppmid_image = image_for(o.keys, PPMID.eui64, 4 * 1024, signer=None)
        first = await o.supplier.submit(ESME.eui64, SRV.UPDATE_FIRMWARE, UpdateFirmware(esme_image))
        second = await o.supplier.submit(
            PPMID.eui64, SRV.UPDATE_PPMID_FIRMWARE, UpdatePPMIDFirmware(ppmid_image)
        )
        assert first.response_code is second.response_code is ResponseCode.I99
        receipt = await o.supplier.alert(OK, FAILED, timeout=TRANSFER_TIMEOUT)
        transfer = await o.supplier.alert(
            AlertCode.FIRMWARE_TRANSFER_ALERT_SUCCESS,
            AlertCode.FIRMWARE_TRANSFER_ALERT_FAIL,
            timeout=TRANSFER_TIMEOUT,
        )
        assert receipt.alert_code == OK
        assert transfer.alert_code == AlertCode.FIRMWARE_TRANSFER_ALERT_SUCCESS
        assert firmware.server.waits_sent > 0
        waits = o.client(ESME.eui64).stats.waits + o.client(PPMID.eui64).stats.waits
        assert waits == firmware.server.waits_sent


async def test_image_page_requests_fetch_the_image(tmp_path: Path) -> None:
    async with installed(tmp_path, (ESME,)) as o:
        client = o.client(ESME.eui64)
        client.profile = replace(client.profile, page_size=1024, response_spacing=10)
        image = image_for(o.keys, ESME.eui64, 16 * 1024)
        served_before = o.wired.hub.firmware.server.blocks_served  # type: ignore[union-attr]
        assert (await distribute(o, ESME.eui64, image)).alert_code == OK
        assert client.stats.blocks == -(-len(image) // 64)
        firmware = o.wired.hub.firmware
        assert firmware is not None
        assert firmware.server.blocks_served - served_before == client.stats.blocks
