"""Scenario ``sub-ghz-channel-change``: a dual-band hub moves its GB868 HAN and the GSME follows.

A dual-band hub (CHTS v1.1) with an ESME on 2.4 GHz and a sleepy GSME on GB868 (its radio
prefers sub-GHz). The Supplier installs them (12.2, 8.14.1, 8.11 with a short join window, join
and CBKE). SRV 6.29 (DBCH05) while the join window is still open is answered, then assessed
"joining is currently permitted" (DBCH08 0x8F28). Once it has closed, 6.29 again: accepted; the
hub puts the next channel in the Sub-GHz cluster's ChannelChange and raises
NEW_SUB_GHZ_CHANNEL_MASKS_AVAILABLE in the GSME's mirror; the GSME reads it at its next wake-up
and both radios move; DBCH07 0x8F26 names the new channel and the scan trigger. SRV 6.31 (DBCH01)
reads the new channel and 6.32 (DBCH02) the log entry; the GSME, on the new channel, still
reports to its mirror. Every Sub GHz Alert arrives at the Supplier as a DUIS DualBandCHAlert.
"""

from __future__ import annotations

import random

from emulator.codec.gbcs import decode_message
from emulator.codec.gbcs.dlms import AccessResponse, decode_dlms
from emulator.codec.gbcs.message import apdu_of
from emulator.codec.gbcs.sub_ghz import ChannelMask, ScanAssessment, ScanTrigger
from emulator.codec.zcl.attributes import Side
from emulator.devices.ch_profile import DUAL_BAND_CHTS_1_1, RADIO_DUAL_PREFER_SUB_GHZ
from emulator.devices.registers import PREPAYMENT
from emulator.han.radio import Band
from rig.dcc import ResponseCode, ServiceReferenceVariant, ServiceResponse
from rig.dcc.dual_band import (
    DualBandCHAlert,
    ReadCHFSubGHzChannel,
    ReadCHFSubGHzChannelLog,
    RequestCHFSubGHzChannelScan,
)

from .context import ChartKind, RunContext
from .framework import Measurement, StepSpec, scenario
from .han_join import ESME, GSME, HUB, STEP_TIMEOUT
from .premises import ACB, GPF, Supplier, join_with_cbke, premises_keys, wire_premises

MEMBERS = (HUB, ESME, GSME)
SMI = (HUB.eui64, GPF, ESME.eui64, GSME.eui64)
JOIN_WINDOW = 300
"""Seconds of 8.11's JoinTimePeriod here: short, so the scan's wait for it to close is short."""
ANSWER_TIMEOUT = 600.0
SRV = ServiceReferenceVariant

INSTALL = StepSpec(
    "dual-band hub, ESME (2.4 GHz) and GSME (GB868) installed, whitelisted, joined with CBKE",
    (
        Measurement("devices_on_sub_ghz", "devices", low=1, high=1),
        Measurement("devices_on_2g4", "devices", low=1, high=1),
    ),
    STEP_TIMEOUT,
)
REFUSED = StepSpec(
    "SRV 6.29 while joining is permitted: DBCH08 JoiningIsCurrentlyPermitted, no change",
    (
        Measurement(
            "assessment",
            "",
            low=ScanAssessment.JOINING_IS_CURRENTLY_PERMITTED,
            high=ScanAssessment.JOINING_IS_CURRENTLY_PERMITTED,
        ),
    ),
    STEP_TIMEOUT,
)
CHANGE = StepSpec(
    "SRV 6.29 after the join window: accepted, the GSME reads ChannelChange, both retune, DBCH07",
    (
        Measurement(
            "assessment",
            "",
            low=ScanAssessment.SCAN_REQUEST_ACCEPTED,
            high=ScanAssessment.SCAN_REQUEST_ACCEPTED,
        ),
        Measurement("change_seconds", "s", low=0.0, high=ANSWER_TIMEOUT),
        Measurement("gsme_channel_changes", "changes", low=1, high=1),
        Measurement("radios_on_new_channel", "radios", low=2, high=2),
    ),
    STEP_TIMEOUT * 2,
)
READ_BACK = StepSpec(
    "SRV 6.31 reads the new channel, 6.32 the log; the GSME reports to its mirror on it",
    (
        Measurement("channel_read_matches", "", low=1, high=1),
        Measurement("log_entries", "entries", low=1, high=1),
        Measurement("mirror_reports_after", "reports", low=1),
    ),
    STEP_TIMEOUT,
)


async def _scan(run: RunContext, supplier: Supplier) -> DualBandCHAlert:
    run.chart(ChartKind.SRV, "supplier", "DCC", "SRV 6.29 sub-GHz channel scan")
    answer = await supplier.request(
        HUB.eui64, SRV.REQUEST_CHF_SUB_GHZ_CHANNEL_SCAN, RequestCHFSubGHzChannelScan(),
        ANSWER_TIMEOUT,
    )  # fmt: skip
    assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.I0
    outcome = await supplier.dual_band_alert(0x8F28, ANSWER_TIMEOUT)
    assert outcome.status_code is not None
    run.chart(ChartKind.SRV, "DCC", "supplier", f"DualBandCHAlert 8F28 {outcome.status_code.name}")
    return outcome


@scenario(
    "sub-ghz-channel-change",
    "A dual-band hub's GB868 HAN moves channel on SRV 6.29: refused while joining is permitted, "
    "then accepted; the GSME follows through its mirror's flags and the Sub-GHz cluster; DBCH07, "
    "DBCH01 and DBCH02 confirm it.",
    steps=(INSTALL, REFUSED, CHANGE, READ_BACK),
)
async def sub_ghz_channel_change(run: RunContext) -> None:
    clock = run.clock
    run.acb_eui = ACB
    rng = random.Random(f"sub-ghz-channel-change/install-codes/{run.seed}")
    codes = {m.eui64: rng.randbytes(16) for m in (ESME, GSME)}
    keys = premises_keys(f"sub-ghz-channel-change/{run.seed}", SMI)
    wired = await run.cleanup.enter_async_context(
        wire_premises(
            run, keys, MEMBERS, hub_profile=DUAL_BAND_CHTS_1_1,
            radios={GSME.eui64: RADIO_DUAL_PREFER_SUB_GHZ},
        )
    )  # fmt: skip
    run.reveal_han_keys(wired.han.key_ring)
    supplier = Supplier(wired.dcc, keys.supplier, clock)
    sub_ghz, gsme = wired.sub_ghz, wired.gsme
    assert sub_ghz is not None and gsme is not None

    async with wired.dcc:
        async with run.step(INSTALL) as scope:
            await supplier.set_up(SMI)
            for m in (ESME, GSME):
                _, answer = await supplier.update_device_log(m.eui64, codes[m.eui64], JOIN_WINDOW)
                assert isinstance(answer, ServiceResponse), f"8.11 {m.label}: {answer!r}"
                assert answer.response_code is ResponseCode.I0
            for m in (ESME, GSME):
                await join_with_cbke(wired, m)
            on = [wired.band_of(m.eui64) for m in (ESME, GSME)]
            scope.measure("devices_on_sub_ghz", on.count(Band.SUB_GHZ))
            scope.measure("devices_on_2g4", on.count(Band.GHZ_2_4))
            assert wired.band_of(GSME.eui64) is Band.SUB_GHZ

        old = sub_ghz.channel
        async with run.step(REFUSED) as scope:
            outcome = await _scan(run, supplier)
            assert outcome.status_code is not None
            scope.measure("assessment", int(outcome.status_code))
            assert sub_ghz.channel == old and sub_ghz.pending_change is None

        async with run.step(CHANGE) as scope:
            await clock.sleep(JOIN_WINDOW)  # the join windows close
            started = clock.now()
            outcome = await _scan(run, supplier)
            assert outcome.status_code is not None
            scope.measure("assessment", int(outcome.status_code))
            changed = await supplier.dual_band_alert(0x8F26, STEP_TIMEOUT)
            scope.measure("change_seconds", clock.now() - started)
            run.chart(ChartKind.SRV, "DCC", "supplier", "DualBandCHAlert 8F26 channel changed")
            assert changed.scan_trigger is ScanTrigger.REMOTE_PARTY_COMMAND
            new = sub_ghz.channel
            assert new != old and changed.operating_channel == new.mask()
            scope.measure("gsme_channel_changes", gsme.channel_changes)
            radios = [
                wired.nodes[e].stack.interfaces[Band.SUB_GHZ].radio for e in (HUB.eui64, GSME.eui64)
            ]
            scope.measure(
                "radios_on_new_channel",
                sum(
                    (r.channel.page, r.channel.number) == (int(new.page), new.number)
                    for r in radios
                ),
            )

        async with run.step(READ_BACK) as scope:
            answer = await supplier.request(
                HUB.eui64, SRV.READ_CHF_SUB_GHZ_CHANNEL, ReadCHFSubGHzChannel(), ANSWER_TIMEOUT
            )
            assert isinstance(answer, ServiceResponse) and answer.gbcs_payload is not None
            read = _channel_read(answer.gbcs_payload)
            scope.measure("channel_read_matches", int(read == sub_ghz.channel.mask()))
            now = clock.datetime()
            log_body = ReadCHFSubGHzChannelLog(now.replace(year=now.year - 1), now)
            answer = await supplier.request(
                HUB.eui64, SRV.READ_CHF_SUB_GHZ_CHANNEL_LOG, log_body, ANSWER_TIMEOUT
            )
            assert isinstance(answer, ServiceResponse) and answer.response_code is ResponseCode.I0
            scope.measure("log_entries", len(sub_ghz.log_entries))
            gsme.set_registers(credit_remaining=gsme.registers.credit_remaining - 10)
            await clock.sleep(gsme.profile.wake_period * 2)  # a wake-up on the new channel
            mirror = wired.gpf.mirror.table(PREPAYMENT, Side.SERVER) or {}
            scope.measure(
                "mirror_reports_after", int(mirror.get(0x0001) == gsme.registers.credit_remaining)
            )


def _channel_read(gbcs: bytes) -> ChannelMask | None:
    """The operating channel a DBCH01 response carries (its content is not encrypted)."""
    apdu = apdu_of(decode_message(gbcs))
    response = None if apdu is None else decode_dlms(apdu.content)
    if not isinstance(response, AccessResponse) or not response.data:
        return None
    try:
        return ChannelMask.from_data(response.data[0])
    except ValueError:
        return None
