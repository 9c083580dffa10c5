"""Scenario ``whitelist-and-join``: the DCC whitelists meters on the hub over the WAN; they join.

The Supplier pre-notifies the hub and two meters (SRV 12.2) and reports the hub installed with SM
WAN (8.14.1); for each meter it sends SRV 8.11 with the install code. The DCC's ACB turns that into
CCS01, MAC'd for the CHF, over the WAN link; the hub checks it, adds the meter to its Device Log,
opens its join window and answers, then raises the CS14 alert 0x8F12 (Device Log changed); the DCC
sets the meter Whitelisted in the SMI and passes the alert to the Supplier. Each meter then
joins the HAN with its install code and runs CBKE with the hub. Last, SRV 11.2 reads the ESME's
firmware version: ECS52 (the Supplier's, MAC'd by the ACB) goes through the hub into the ESME's
GB-HGRP tunnel, and the ESME's response comes back to the Supplier, who checks its MAC. Every
GBCS message goes to ``gbcs/`` (with ``--reveal-keys`` the ACB, Supplier, CHF and ESME keys go
to ``keystore/``, so outside tools verify the MACs) and the SMI to the record.

It is the first half of ``commission-premises`` (whose installation steps it shares,
``installation.py``), without the PPMID, the device-to-device joins and commissioning.
"""

from __future__ import annotations

import random

from emulator.codec.gbcs import Verdict, analyse
from emulator.codec.gbcs.firmware_version import reported_version
from rig.dcc import ReadFirmwareVersion, ServiceReferenceVariant

from .context import RunContext
from .framework import Measurement, StepSpec, scenario
from .han_join import ESME, GSME, HUB, STEP_TIMEOUT
from .installation import HEALTH, Premises, join_step, setup_step, whitelist_step
from .premises import ACB, Supplier, premises_keys, wire_premises

METERS = (ESME, GSME)
MEMBERS = (HUB, *METERS)

SETUP = setup_step(tuple(m.eui64 for m in MEMBERS))
WHITELIST = {m.eui64: whitelist_step(m) for m in METERS}
JOIN = {m.eui64: join_step(m) for m in METERS}
READ_FIRMWARE = StepSpec(
    "SRV 11.2 reads the ESME's firmware version through the hub's tunnel",
    (
        Measurement("srv_seconds", "s", low=0.0, high=60.0),
        Measurement("response_mac_valid", "responses", low=1, high=1),
        Measurement("firmware_version_matches", "responses", low=1, high=1),
    ),
    STEP_TIMEOUT,
)


@scenario(
    "whitelist-and-join",
    "The supplier pre-notifies a hub and two meters; SRV 8.11 whitelists each meter on the hub "
    "over the WAN (CCS01); each meter then joins the HAN with its install code and runs CBKE; "
    "SRV 11.2 then reads the ESME's firmware version (ECS52) through the hub's tunnel.",
    steps=(SETUP, *WHITELIST.values(), *JOIN.values(), READ_FIRMWARE, HEALTH),
)
async def whitelist_and_join(run: RunContext) -> None:
    clock = run.clock
    run.acb_eui = ACB
    rng = random.Random(f"whitelist-and-join/install-codes/{run.seed}")
    codes = {m.eui64: rng.randbytes(16) for m in METERS}
    keys = premises_keys(f"whitelist-and-join/{run.seed}")
    for c in keys.credentials:
        run.reveal_gbcs_key(c.eui, c.usage, c.certificate, c.private_key)
    wired = await run.cleanup.enter_async_context(wire_premises(run, keys, MEMBERS))
    esme = wired.esme
    assert esme is not None
    run.reveal_han_keys(wired.han.key_ring)
    premises = Premises(run, wired, Supplier(wired.dcc, keys.supplier, clock))

    async with wired.dcc:
        await premises.set_up(SETUP, [m.eui64 for m in MEMBERS])
        for m in METERS:
            await premises.whitelist(WHITELIST[m.eui64], m, codes[m.eui64])
        for m in METERS:
            await premises.join(JOIN[m.eui64], m)

        async with run.step(READ_FIRMWARE) as scope:
            started = clock.now()
            srv = ServiceReferenceVariant.READ_FIRMWARE_VERSION
            answer = await premises.request(scope, ESME, srv, ReadFirmwareVersion(), ESME.label)
            scope.measure("srv_seconds", clock.now() - started)
            assert answer.gbcs_payload is not None
            checked = analyse(answer.gbcs_payload, keys.supplier, ACB)  # the Supplier's check
            scope.measure("response_mac_valid", int(checked.mac is Verdict.VALID))
            scope.measure(
                "firmware_version_matches",
                int(reported_version(checked.payload) == esme.firmware_version),
            )

        await premises.health()
