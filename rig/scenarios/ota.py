"""Scenarios ``ota-esme``, ``ota-gsme`` and ``ota-ppmid``: firmware through the hub, end to end.

Each installs the hub and one HAN device (the shared installation steps), then:

1. the Supplier submits the image (SRV 11.1, or 11.4 for the PPMID); the DCC hands it to the hub
   over the SM WAN's image queue; the hub notifies the device (the sleepy GSME asks on its own
   wake-ups) and serves it block by block; the device checks it and sends its receipt alert
   (0x8F72; for the PPMID the hub's CCS08, 0x8F8A). Measured: ``ota_modelled_seconds`` (first
   block request to last block), ``ota_blocks``, ``ota_retries``, ``image_bytes``, ``block_size``;
2. SRV 11.3 activates it (CS06 with the Manufacturer Image hash, through the Supplier-signed
   Pre-Command): response 0 and the new version, alert 0x8F43, the SMI's firmware version;
3. SRV 11.2 reads the version back (ECS52, GCS38, CS08).

Images are built in the run with the premises' Supplier key (test keys), for the device models
of ``firmware_images/`` (``premises.OTA_PROFILES``).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import DS, AlertCode, Asn1Payload, analyse
from emulator.codec.gbcs.dlms import AccessResponse
from emulator.codec.gbcs.gbz import GbzPayload
from emulator.codec.ota import build_image, manufacturer_image_sha256, parse_image
from emulator.devices.ota_client import OtaClient
from rig.dcc import ServiceReferenceVariant, ServiceResponse
from rig.dcc.requests import (
    ActivateFirmware,
    ReadFirmwareVersion,
    UpdateFirmware,
    UpdatePPMIDFirmware,
)

from .context import ChartKind, RunContext
from .framework import Measurement, StepSpec, scenario
from .han_join import ESME, GSME, HUB, Member
from .installation import LABELS, Premises, join_step, setup_step, whitelist_step
from .premises import (
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

TRANSFER_TIMEOUT = 4 * 3600.0
"""Modelled seconds a transfer may take before the step fails (a sleepy GSME is slow)."""
NEW_VERSION = {ESME.eui64: 0x01020304, GSME.eui64: 0x01020305, PPMID.eui64: 0x00000102}
IMAGE_BYTES = {ESME.eui64: 256 * 1024, GSME.eui64: 16 * 1024, PPMID.eui64: 4 * 1024}
"""[I] Payload sizes: the ESME gets the 256 KiB of the fidelity figure; the sleepy GSME and the
PPMID smaller images, as their ``firmware_images/`` samples."""
HARDWARE_RANGE = {ESME.eui64: (0x100, 0x1FF), GSME.eui64: (0x100, 0x1FF), PPMID.eui64: (1, 1)}


def ota_image(keys: PremisesKeys, device: Eui64, seed: int, *, signed: bool = True) -> bytes:
    """A test image for ``device``'s model, signed with the premises' Supplier DS key."""
    profile = OTA_PROFILES[device]
    lo, hi = HARDWARE_RANGE[device]
    payload = random.Random(f"ota/{device.hex}/{seed}").randbytes(IMAGE_BYTES[device])
    key = keys.supplier.private_key(SUPPLIER, DS) if signed else None
    return build_image(
        manufacturer_id=profile.manufacturer,
        image_type=profile.image_type,
        file_version=NEW_VERSION[device],
        payload=payload,
        minimum_hardware_version=lo,
        maximum_hardware_version=hi,
        private_key=key,
        header_string="gb-han-rig test image",
    )


def distribute_step(m: Member, srv: str) -> StepSpec:
    return StepSpec(
        f"SRV {srv}: the hub serves the {m.label} its image; the {m.label} checks it",
        (
            Measurement("ota_modelled_seconds", "s", low=0.0, high=TRANSFER_TIMEOUT),
            Measurement("ota_blocks", "blocks", low=1),
            Measurement("ota_retries", "requests", low=0),
            Measurement("image_bytes", "bytes", low=1),
            Measurement("block_size", "bytes", low=1, high=64),
            Measurement("receipt_alerts", "alerts", low=1, high=1),
        ),
        TRANSFER_TIMEOUT + 600,
    )


def activate_step(m: Member) -> StepSpec:
    return StepSpec(
        f"SRV 11.3 activates the {m.label}'s image (CS06): new version, alert 8F43, SMI updated",
        (
            Measurement("activation_result", "code", low=0, high=0),
            Measurement("version_changed_alerts", "alerts", low=1, high=1),
            Measurement("smi_firmware_updated", "devices", low=1, high=1),
        ),
        3600.0,
    )


def read_step(m: Member, use_case: str) -> StepSpec:
    return StepSpec(
        f"SRV 11.2 reads the {m.label}'s firmware version ({use_case})",
        (Measurement("firmware_version_matches", "responses", low=1, high=1),),
        3600.0,
    )


@dataclass(frozen=True)
class Plan:
    member: Member
    srv: ServiceReferenceVariant
    read_use_case: str


def _client(wired: Wired, device: Eui64) -> OtaClient | None:
    owner = {ESME.eui64: wired.esme, GSME.eui64: wired.gsme, PPMID.eui64: wired.ppmid}[device]
    firmware = getattr(owner, "firmware", None)
    return None if firmware is None else firmware.ota


def version_of(answer: ServiceResponse, supplier: Supplier) -> bytes | None:
    """The firmware version an 11.2 response reports (DLMS, GBZ or ASN.1)."""
    assert answer.gbcs_payload is not None
    payload = analyse(answer.gbcs_payload, supplier.keystore, ACB).payload
    if isinstance(payload, AccessResponse) and payload.data:
        value = payload.data[0].value
        return value if isinstance(value, bytes) else None
    if isinstance(payload, GbzPayload) and payload.components:
        raw = payload.components[0].payload  # attribute id, status, type 0x41, length, value
        return raw[5 : 5 + raw[4]] if len(raw) > 5 and raw[2] == 0 else None
    if isinstance(payload, Asn1Payload) and isinstance(payload.value, dict):
        value = payload.value.get("firmwareVersion")
        return bytes(value) if isinstance(value, bytes) else None
    return None


async def run_ota(
    run: RunContext, plan: Plan, members: Sequence[Member], steps: dict[str, StepSpec]
) -> None:
    """The shared body: install the hub and the device, distribute, activate, read."""
    m = plan.member
    run.acb_eui = ACB
    rng = random.Random(f"ota/install-codes/{run.seed}")
    codes = {x.eui64: rng.randbytes(16) for x in members if x is not HUB}
    devices = (HUB.eui64, GPF, m.eui64) if m is GSME else (HUB.eui64, m.eui64)
    keys = premises_keys(f"ota/{run.seed}")
    for c in keys.credentials:
        run.reveal_gbcs_key(c.eui, c.usage, c.certificate, c.private_key)
    wired = await run.cleanup.enter_async_context(wire_premises(run, keys, members))
    run.reveal_han_keys(wired.han.key_ring)
    supplier = Supplier(wired.dcc, keys.supplier, run.clock)
    premises = Premises(run, wired, supplier)
    unsigned = plan.srv is ServiceReferenceVariant.UPDATE_PPMID_FIRMWARE  # 11.4: no signature
    image = ota_image(keys, m.eui64, run.seed, signed=not unsigned)
    parsed = parse_image(image)
    clock = run.clock

    async with wired.dcc:
        await premises.set_up(steps["setup"], devices)
        for x in members:
            if x is not HUB:
                await premises.whitelist(steps[f"whitelist {x.label}"], x, codes[x.eui64])
        for x in members:
            if x is not HUB:
                await premises.join(steps[f"join {x.label}"], x)

        # The Supplier has the new version listed on the CPL before rolling it out (else the DCC
        # suspends the device once it runs it: ``rig.dcc.firmware.CPL_MISS``).
        listed = CPL[m.eui64]
        wired.dcc.inventory.add_cpl_entry(
            dataclasses.replace(listed, firmware_version=f"{NEW_VERSION[m.eui64]:08X}")
        )

        async with run.step(steps["distribute"]) as scope:
            client = _client(wired, m.eui64)
            assert client is not None, f"the {m.label} has no OTA client"
            client.progress = lambda device, done, total: run.progress(LABELS[device], done, total)
            body = (
                UpdatePPMIDFirmware(image)
                if plan.srv is ServiceReferenceVariant.UPDATE_PPMID_FIRMWARE
                else UpdateFirmware(image)
            )
            run.chart(ChartKind.SRV, "supplier", "DCC", f"SRV {plan.srv.value} {m.label}")
            sent = await supplier.submit(m.eui64, plan.srv, body)
            assert sent.response_code.value == "I99", f"{plan.srv.value}: {sent.response_code}"
            wanted = (
                (AlertCode.FIRMWARE_TRANSFER_ALERT_SUCCESS, AlertCode.FIRMWARE_TRANSFER_ALERT_FAIL)
                if plan.srv is ServiceReferenceVariant.UPDATE_PPMID_FIRMWARE
                else (
                    AlertCode.FIRMWARE_VERIFICATION_SUCCESSFUL,
                    AlertCode.FIRMWARE_VERIFICATION_FAILED,
                )
            )
            alert = await supplier.alert(*wanted, timeout=TRANSFER_TIMEOUT)
            premises.heard.append(alert)
            run.chart(ChartKind.SRV, "DCC", "supplier", f"DeviceAlert {alert.device_alert_code}")
            stats = client.stats
            scope.measure(
                "ota_modelled_seconds",
                (stats.finished or clock.now()) - (stats.started or clock.now()),
            )
            scope.measure("ota_blocks", stats.blocks)
            scope.measure("ota_retries", stats.retries)
            scope.measure("image_bytes", len(image))
            scope.measure("block_size", client.profile.block_size)
            scope.measure("receipt_alerts", int(alert.alert_code == wanted[0]))

        async with run.step(steps["activate"]) as scope:
            body11_3 = ActivateFirmware(manufacturer_image_sha256(parsed))
            answer = await premises.request(
                scope, m, ServiceReferenceVariant.ACTIVATE_FIRMWARE, body11_3, f"activate {m.label}"
            )
            assert answer.gbcs_payload is not None
            payload = analyse(answer.gbcs_payload, supplier.keystore, ACB).payload
            assert isinstance(payload, Asn1Payload), payload
            choice, outcome = payload.value
            assert choice == "executionOutcome", payload.value
            scope.measure("activation_result", int(outcome["responseCode"]))
            changed = 0
            try:
                await supplier.alert(AlertCode.CHANGE_IN_THE_EXECUTING_FIRMWARE_VERSION, timeout=60)
                changed = 1
            except TimeoutError:
                pass
            scope.measure("version_changed_alerts", changed)
            record = wired.dcc.inventory.smi(m.eui64)
            expected = f"{NEW_VERSION[m.eui64]:08X}"
            scope.measure(
                "smi_firmware_updated",
                int(record is not None and record.firmware_version == expected),
            )

        async with run.step(steps["read"]) as scope:
            answer = await premises.request(
                scope, m, ServiceReferenceVariant.READ_FIRMWARE_VERSION, ReadFirmwareVersion(),
                f"read {m.label} version",
            )  # fmt: skip
            version = version_of(answer, supplier)
            scope.measure(
                "firmware_version_matches",
                int(version == NEW_VERSION[m.eui64].to_bytes(4, "big")),
            )


def _steps(m: Member, members: Sequence[Member], srv: str, use_case: str) -> dict[str, StepSpec]:
    devices = (HUB.eui64, GPF, m.eui64) if m is GSME else (HUB.eui64, m.eui64)
    steps = {"setup": setup_step(devices)}
    for x in members:
        if x is not HUB:
            steps[f"whitelist {x.label}"] = whitelist_step(x)
    for x in members:
        if x is not HUB:
            steps[f"join {x.label}"] = join_step(x)
    steps["distribute"] = distribute_step(m, srv)
    steps["activate"] = activate_step(m)
    steps["read"] = read_step(m, use_case)
    return steps


ESME_MEMBERS = (HUB, ESME)
ESME_STEPS = _steps(ESME, ESME_MEMBERS, "11.1", "ECS52")


@scenario(
    "ota-esme",
    "SRV 11.1 to an ESME: the DCC hands a 256 KiB image to the hub over the SM WAN, the hub "
    "serves it (OTA Upgrade cluster), the ESME checks the Supplier signature and sends 0x8F72 "
    "(0x00CE); 11.3 activates it (CS06), 11.2 reads the new version (ECS52).",
    steps=tuple(ESME_STEPS.values()),
)
async def ota_esme(run: RunContext) -> None:
    plan = Plan(ESME, ServiceReferenceVariant.UPDATE_FIRMWARE, "ECS52")
    await run_ota(run, plan, ESME_MEMBERS, ESME_STEPS)


GSME_MEMBERS = (HUB, GSME)
GSME_STEPS = _steps(GSME, GSME_MEMBERS, "11.1", "GCS38")


@scenario(
    "ota-gsme",
    "SRV 11.1 to a sleepy GSME: the hub holds the image and raises NEW_OTA_FIRMWARE in the GPF "
    "mirror's flags; the GSME reads them on waking, fetches the image polling fast, checks the "
    "Supplier signature and PUTs 0x8F72 (0x00CF) on its next wake-up; 11.3 activates it (CS06 "
    "through the hub's mailbox), 11.2 reads the new version (GCS38).",
    steps=tuple(GSME_STEPS.values()),
)
async def ota_gsme(run: RunContext) -> None:
    plan = Plan(GSME, ServiceReferenceVariant.UPDATE_FIRMWARE, "GCS38")
    await run_ota(run, plan, GSME_MEMBERS, GSME_STEPS)


PPMID_MEMBERS = (HUB, PPMID)
PPMID_STEPS = _steps(PPMID, PPMID_MEMBERS, "11.4", "CS08")


@scenario(
    "ota-ppmid",
    "SRV 11.4 to a PPMID enrolled in a SMETS2+ system (MP202 requirement 7): the hub notifies "
    "it, serves the unsigned image and, when the PPMID ends the transfer, sends the CCS08 "
    "Firmware Transfer Alert (0x8F8A); 11.3 activates it (CS06), 11.2 reads it back (CS08).",
    steps=tuple(PPMID_STEPS.values()),
)
async def ota_ppmid(run: RunContext) -> None:
    plan = Plan(PPMID, ServiceReferenceVariant.UPDATE_PPMID_FIRMWARE, "CS08")
    await run_ota(run, plan, PPMID_MEMBERS, PPMID_STEPS)
