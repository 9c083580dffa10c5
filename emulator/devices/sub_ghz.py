"""The dual-band CH's sub-GHz management: configuration, channel, scans, duty cycle (DBCH01-11).

What the CHF does for SRVs 6.28-6.32 (DOMAIN.md §3; the RTDS 4.5.0 DBCH messages):

* DBCH04 (6.28) SET the configuration: every field inside its DUIS range or the whole SET is
  refused (``other-reason`` [U]) and nothing changes; on success the response, then alert DBCH09
  0x8F2A carrying the new configuration. The duty-cycle thresholds apply at once.
* DBCH03 (6.30) / DBCH01 (6.31) / DBCH02 (6.32) GET the configuration, the operating channel, the
  channel log (entries inside the requested period).
* DBCH05 (6.29) SET the channel scan request: the response, then the assessment (DBCH08 0x8F28)
  in this order [I]: duty cycle too high (any sub-GHz device Limited or worse), joining permitted,
  GSME OTA underway, too many scans today (``MAX_SCANS_PER_DAY`` [U]), too many this week (the
  configuration's maximum channel changes per week); else accepted. An accepted scan picks the next
  available channel [U] (on a virtual HAN every channel is equally quiet) and runs the channel
  change sequence: the new channel goes into the Sub-GHz cluster's ChannelChange attribute and the
  GSME mirror's Functional Notification Flags get NEW_SUB_GHZ_CHANNEL_MASKS_AVAILABLE; once the
  GSME has read ChannelChange (or ``gsme_curfew`` minutes [U] later) the band moves, the flag
  clears, the change is logged and alert DBCH07 0x8F26 goes out.
* Duty cycle (``duty_cycle.py``): sampled every ``SAMPLE_PERIOD``; Limited sends Suspend ZCL
  Messages to the device, Critical to every sub-GHz device, falling back lifts them (period 0).
  A GBCS command for a device at the regulated ceiling is discarded with DBCH10 0x8F2C carrying
  the command's identity (originator, target, CRA flag, counter).
* A device joining beyond the sub-GHz capacity is sent away with DBCH11 0x8F2D: ``run`` watches
  the hub's HAN for joins, and one on the sub-GHz band beyond ``capacity`` is evicted.

State that matters (configuration, channel, log, scan history) is in the hub's ``StateStore``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.gbcs import AlertCode, GeneralSigning, MessageCode
from ..codec.gbcs.dlms import (
    AccessRequest,
    AccessRequestKind,
    Data,
    DataAccessResult,
    DataType,
    date_time,
    decode_data,
)
from ..codec.gbcs.sub_ghz import (
    DEFAULT_CONFIGURATION,
    OPERATING_SUB_GHZ_CHANNEL,
    SUB_GHZ_CHANNEL_LOG,
    SUB_GHZ_CHANNEL_SCAN,
    SUB_GHZ_CONFIGURATION,
    ChannelLogEntry,
    ChannelMask,
    ChannelPage,
    DiscardedMessage,
    ScanAssessment,
    ScanTrigger,
    SubGhzChannel,
    SubGhzConfiguration,
    channel_changed_body,
    channel_log_data,
    device_body,
    log_time,
    scan_outcome_body,
)
from ..codec.zcl import frame as zcl
from ..codec.zcl.attributes import Side
from ..codec.zcl.metering import FunctionalNotificationFlags
from ..han.clock import Clock
from ..han.port import ApsMessage, DeliveryError, HanPort, Joined
from ..han.radio import DutyCycleState
from ..han.stack.state import StateStore
from .attribute_server import AttributeServer, answer
from .duty_cycle import DutyCycleMonitor, Transition, limits_for
from .gbcs_gate import GbcsGate

log = logging.getLogger(__name__)

SUB_GHZ = 0x070B
DBCH_COMMANDS = frozenset(
    {
        MessageCode.DBCH01_READ_CHF_SUB_GHZ_CHANNEL,
        MessageCode.DBCH02_READ_CHF_SUB_GHZ_CHANNEL_LOG,
        MessageCode.DBCH03_READ_CHF_SUB_GHZ_CONFIGURATION,
        MessageCode.DBCH04_SET_CHF_SUB_GHZ_CONFIGURATION,
        MessageCode.DBCH05_REQUEST_CHF_SUB_GHZ_CHANNEL_SCAN,
    }
)
SAMPLE_PERIOD = 10.0
"""[U] Seconds between duty-cycle samples (modelled time). Silicon Labs' stack reacts per frame;
10 s keeps a 90-day run cheap and moves a threshold crossing by at most 0.3 % of the hour."""
MAX_SCANS_PER_DAY = 1
"""[U] Remote-party scans accepted per day ("TooManyScansToday"): no public number."""
SUSPEND_MINUTES = 60
"""[U] The period Suspend ZCL Messages carries (minutes; the CH lifts it with 0 earlier when the
duty cycle falls back)."""
INITIAL_CHANNEL = SubGhzChannel(ChannelPage.PAGE_28, 0)
"""[U] The channel a new sub-GHz HAN forms on: the first available (RTDS DBCH01 answers it)."""
DAY = 86400.0
RETUNE_GUARD = 0.5
"""[I] Seconds the hub stays on the old channel after the GSME has read ChannelChange: its last
frames there (APS ACK, MAC ACKs) go out first."""


class SubGhzBand(Protocol):
    """The hub's sub-GHz HAN as the management sees it (the virtual HAN or a dongle implements
    it): who is on it, their duty cycle from the radio model, and moving it to a channel."""

    def devices(self) -> Iterable[Eui64]: ...

    def duty_cycle(self, device: Eui64) -> float: ...

    async def retune(self, channel: SubGhzChannel) -> None: ...


class SubGhzFunction:
    def __init__(
        self,
        store: StateStore,
        clock: Clock,
        band: SubGhzBand,
        port: HanPort | None = None,
        *,
        set_gsme_flag: Callable[[FunctionalNotificationFlags, bool], None] | None = None,
        joining_permitted: Callable[[], bool] = lambda: False,
        gsme_ota_underway: Callable[[], bool] = lambda: False,
        capacity: int = 4,
    ) -> None:
        self.store = store
        self.clock = clock
        self.band = band
        self.port = port
        self.set_gsme_flag = set_gsme_flag
        self.joining_permitted = joining_permitted
        self.gsme_ota_underway = gsme_ota_underway
        self.capacity = capacity
        raw = store.load("sub-ghz/configuration")
        self.configuration = (
            DEFAULT_CONFIGURATION
            if raw is None
            else SubGhzConfiguration.from_data(decode_data(bytes.fromhex(raw)))
        )
        word = store.load("sub-ghz/channel")
        self.channel = INITIAL_CHANNEL if word is None else next(iter(ChannelMask.from_word(word)))
        self.log_entries = [
            ChannelLogEntry(e[0], e[1], ChannelMask.from_word(e[2]), ScanTrigger(e[3]))
            for e in store.load("sub-ghz/log") or []
        ]
        self._scans: list[float] = list(store.load("sub-ghz/scans") or [])
        self.monitor = DutyCycleMonitor(limits_for(self.configuration))
        self.transitions: list[Transition] = []
        self.pending_change: SubGhzChannel | None = None
        self._acknowledged = asyncio.Event()
        self.attributes = AttributeServer(self._attribute_table)
        self._gate: GbcsGate | None = None
        self._to_wan: Callable[[bytes], None] = lambda _b: None
        self._tasks: set[asyncio.Task[None]] = set()
        self._tsn = 0

    def bind(self, gate: GbcsGate, to_wan: Callable[[bytes], None]) -> None:
        """The hub's GBCS gate (counters, MACs) and WAN: what alerts go out through."""
        self._gate = gate
        self._to_wan = to_wan

    @property
    def gate(self) -> GbcsGate:
        if self._gate is None:
            raise RuntimeError("SubGhzFunction is not bound to a hub")
        return self._gate

    # ---- DBCH01-05 ----------------------------------------------------------------------------

    async def on_command(self, apdu: GeneralSigning, request: AccessRequest) -> list[bytes]:
        code = apdu.other_information.message_code
        spec = request.specifications[0] if request.specifications else None
        data = request.data[0] if request.data else Data.null()
        if spec is None or len(request.specifications) != 1:
            return [self._respond(apdu, request, Data.null(), DataAccessResult.OTHER_REASON)]
        obis, kind = spec.descriptor.instance_id, spec.kind
        if code == MessageCode.DBCH04_SET_CHF_SUB_GHZ_CONFIGURATION and (
            obis == SUB_GHZ_CONFIGURATION and kind is AccessRequestKind.SET
        ):
            try:
                new = SubGhzConfiguration.from_data(data)
            except ValueError as e:
                log.info("DBCH04 refused: %s", e)
                return [self._respond(apdu, request, Data.null(), DataAccessResult.OTHER_REASON)]
            self._configure(new)
            alert = self._alert(
                MessageCode.DBCH09_SUB_GHZ_CONFIGURATION_CHANGED_SUB_GHZ_ALERT,
                AlertCode.SUB_GHZ_CONFIGURATION_CHANGED,
                new.data(),
            )
            return [self._respond(apdu, request, Data.null(), DataAccessResult.SUCCESS), alert]
        if code == MessageCode.DBCH03_READ_CHF_SUB_GHZ_CONFIGURATION and obis == (
            SUB_GHZ_CONFIGURATION
        ):
            return [self._respond(apdu, request, self.configuration.data())]
        if code == MessageCode.DBCH01_READ_CHF_SUB_GHZ_CHANNEL and obis == (
            OPERATING_SUB_GHZ_CHANNEL
        ):
            return [self._respond(apdu, request, self.channel.mask().bit_string())]
        if code == MessageCode.DBCH02_READ_CHF_SUB_GHZ_CHANNEL_LOG and obis == (
            SUB_GHZ_CHANNEL_LOG
        ):
            start, end = _period(data)
            entries = [e for e in self.log_entries if start <= e.time <= end]
            return [self._respond(apdu, request, channel_log_data(entries))]
        if code == MessageCode.DBCH05_REQUEST_CHF_SUB_GHZ_CHANNEL_SCAN and obis == (
            SUB_GHZ_CHANNEL_SCAN
        ):
            response = self._respond(apdu, request, Data.null(), DataAccessResult.SUCCESS)
            outcome = self.assess_scan()
            alert = self._alert(
                MessageCode.DBCH08_SUB_GHZ_CHANNEL_SCAN_REQUEST_ASSESSMENT_OUTCOME_SUB_GHZ_ALERT,
                AlertCode.SUB_GHZ_CHANNEL_SCAN_REQUEST_ASSESSMENT_OUTCOME,
                scan_outcome_body(outcome, ScanTrigger.REMOTE_PARTY_COMMAND),
            )
            if outcome is ScanAssessment.SCAN_REQUEST_ACCEPTED:
                self._scans.append(self.clock.now())
                self.store.save("sub-ghz/scans", self._scans)
                self._spawn(self.change_channel(self.next_channel()))
            return [response, alert]
        return [self._respond(apdu, request, Data.null(), DataAccessResult.OBJECT_UNDEFINED)]

    def _respond(
        self,
        apdu: GeneralSigning,
        request: AccessRequest,
        data: Data,
        result: DataAccessResult = DataAccessResult.SUCCESS,
    ) -> bytes:
        return self.gate.respond(apdu, request, [data], [result])

    def _configure(self, new: SubGhzConfiguration) -> None:
        self.configuration = new
        self.store.save("sub-ghz/configuration", new.data().encode().hex())
        self.monitor.limits = limits_for(new)

    def _alert(self, message_code: int, alert_code: int, body: Data | None) -> bytes:
        items = [
            Data(DataType.LONG_UNSIGNED, alert_code),
            Data.octet_string(date_time(self.gate.now())),
        ]
        if body is not None:
            items.append(body)
        return self.gate.alert(message_code, Data.structure(*items)).encode()

    # ---- scans and channel changes ------------------------------------------------------------

    def assess_scan(self) -> ScanAssessment:
        now = self.clock.now()
        if self.monitor.worst >= DutyCycleState.LIMITED:
            return ScanAssessment.DUTY_CYCLE_USAGE_IS_TOO_HIGH
        if self.joining_permitted():
            return ScanAssessment.JOINING_IS_CURRENTLY_PERMITTED
        if self.gsme_ota_underway():
            return ScanAssessment.GSME_OTA_DISTRIBUTION_UNDERWAY
        if sum(1 for t in self._scans if now - t < DAY) >= MAX_SCANS_PER_DAY:
            return ScanAssessment.TOO_MANY_SCANS_TODAY
        weekly = self.configuration.maximum_sub_ghz_channel_changes_per_week
        if sum(1 for t in self._scans if now - t < 7 * DAY) >= weekly:
            return ScanAssessment.TOO_MANY_SCANS_THIS_WEEK
        return ScanAssessment.SCAN_REQUEST_ACCEPTED

    def next_channel(self) -> SubGhzChannel:
        """[U] The scan's pick: the available channel after the current one, in mask order."""
        available = self.configuration.available() or [self.channel]
        if self.channel in available:
            return available[(available.index(self.channel) + 1) % len(available)]
        return available[0]

    async def change_channel(
        self, new: SubGhzChannel, trigger: ScanTrigger = ScanTrigger.REMOTE_PARTY_COMMAND
    ) -> None:
        """The channel-change sequence (module docstring); ends with DBCH07."""
        self.pending_change = new
        self._acknowledged.clear()
        if self.set_gsme_flag is not None:
            self.set_gsme_flag(
                FunctionalNotificationFlags.NEW_SUB_GHZ_CHANNEL_MASKS_AVAILABLE, True
            )
            with contextlib.suppress(TimeoutError):
                async with self.clock.timeout(self.configuration.gsme_curfew * 60.0):
                    await self._acknowledged.wait()
                await self.clock.sleep(RETUNE_GUARD)
        await self.band.retune(new)
        if self.set_gsme_flag is not None:
            self.set_gsme_flag(
                FunctionalNotificationFlags.NEW_SUB_GHZ_CHANNEL_MASKS_AVAILABLE, False
            )
        self.channel, self.pending_change = new, None
        self.store.save("sub-ghz/channel", new.mask().word)
        entry = ChannelLogEntry(
            log_time(self.gate.now()), AlertCode.SUB_GHZ_CHANNEL_CHANGED, new.mask(), trigger
        )
        self.log_entries.append(entry)
        self.store.save("sub-ghz/log", [_entry_json(e) for e in self.log_entries])
        self._to_wan(
            self._alert(
                MessageCode.DBCH07_SUB_GHZ_SUB_GHZ_CHANNEL_CHANGED_SUB_GHZ_ALERT,
                AlertCode.SUB_GHZ_CHANNEL_CHANGED,
                channel_changed_body(new.mask(), trigger),
            )
        )

    # ---- the Sub-GHz cluster (server) ---------------------------------------------------------

    def _attribute_table(self, cluster: int, side: Side) -> dict[int, int] | None:
        if cluster != SUB_GHZ or side is not Side.SERVER:
            return None
        pending = self.pending_change.mask().word if self.pending_change is not None else 0
        return {0x0000: pending, **{i + 1: m.word for i, m in enumerate(self.configuration.masks)}}

    async def handle(self, msg: ApsMessage) -> None:
        """Reads of the Sub-GHz cluster; a read of ChannelChange while a change is pending is
        the GSME's acknowledgement."""
        try:
            frame = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return
        reads_change = False
        if self.pending_change is not None and frame.is_global and frame.command_id == 0x00:
            ids = {
                int.from_bytes(frame.payload[i : i + 2], "little")
                for i in range(0, len(frame.payload) - 1, 2)
            }
            reads_change = 0x0000 in ids  # Read Attributes of ChannelChange
        reply = self.attributes.respond(SUB_GHZ, msg.payload)
        delivered = reply is None or self.port is None or await answer(self.port, msg, reply)
        if not delivered:
            return  # the GSME did not get the new channel: it reads again, or the curfew
        if reads_change:  # acknowledged once the GSME has the answer
            self._acknowledged.set()

    # ---- duty cycle ---------------------------------------------------------------------------

    async def run(self) -> None:
        """For as long as the hub runs: sample the duty cycle every ``SAMPLE_PERIOD``, and judge
        each join on the sub-GHz band against the capacity."""
        async with asyncio.TaskGroup() as tg:
            if self.port is not None:
                tg.create_task(self._watch_joins(self.port))
            while True:
                await self.clock.sleep(SAMPLE_PERIOD)
                await self.sample()

    async def _watch_joins(self, port: HanPort) -> None:
        async for event in port.events():
            if isinstance(event, Joined) and event.eui64 != port.eui64:
                await self.on_joined(event.eui64)

    async def on_joined(self, device: Eui64) -> bool:
        """A device joined the hub's HAN; one on the sub-GHz band beyond the capacity is evicted
        and DBCH11 raised. True if it stays."""
        on_band = list(self.band.devices())
        if device not in on_band:
            return True
        alert = self.admit(device, on_band)
        if alert is None:
            return True
        log.info("sub-GHz HAN full: %s sent away", device)
        if self.port is not None:
            await self.port.remove_device(device)
        self._to_wan(alert)
        return False

    async def sample(self) -> list[Transition]:
        steps = self.monitor.update((d, self.band.duty_cycle(d)) for d in self.band.devices())
        for step in steps:
            self.transitions.append(step)
            log.info(
                "sub-GHz duty cycle of %s: %s -> %s (%.3f %%)",
                step.device,
                step.old.name,
                step.new.name,
                100 * step.fraction,
            )
            if step.alert == AlertCode.LIMITED_DUTY_CYCLE_ACTION_TAKEN:
                message_code = MessageCode.DBCH06_LIMITED_DUTY_CYCLE_ACTION_TAKEN_SUB_GHZ_ALERT
                self._to_wan(self._alert(message_code, step.alert, device_body(step.device)))
            else:
                generic = MessageCode.GENERIC_NON_CRITICAL_ALERT
                self._to_wan(self._alert(generic, step.alert, None))
            await self._act(step)
        return steps

    async def _act(self, step: Transition) -> None:
        """Suspend ZCL Messages: the device at Limited, everyone at Critical; lift going down."""
        everyone = list(self.band.devices())
        if step.rising and step.new is DutyCycleState.LIMITED:
            await self.suspend([step.device], SUSPEND_MINUTES)
        elif step.rising and step.new is DutyCycleState.CRITICAL:
            await self.suspend(everyone, SUSPEND_MINUTES)
        elif not step.rising and step.old is DutyCycleState.CRITICAL:
            await self.suspend(
                [d for d in everyone if self.monitor.state(d) < DutyCycleState.LIMITED], 0
            )
        elif not step.rising and step.old is DutyCycleState.LIMITED:
            await self.suspend([step.device], 0)

    async def suspend(self, devices: list[Eui64], minutes: int) -> None:
        if self.port is None:
            return
        for device in devices:
            self._tsn = (self._tsn + 1) & 0xFF
            frame = zcl.build_command(
                SUB_GHZ, "suspend_zcl_messages", tsn=self._tsn, period=minutes
            )
            with contextlib.suppress(DeliveryError, TimeoutError):
                await self.port.send(device, cluster=SUB_GHZ, payload=frame.encode())

    def discard(self, apdu: GeneralSigning) -> bytes | None:
        """DBCH10 if ``apdu`` is for a device at the regulated ceiling: the message is dropped."""
        if self.monitor.state(apdu.recipient) is not DutyCycleState.SUSPENDED:
            return None
        other = apdu.other_information
        originator = other.supplementary_remote_party_id or apdu.originator
        counter = other.supplementary_remote_party_counter or apdu.originator_counter
        identity = DiscardedMessage(Eui64(originator), apdu.recipient, int(apdu.cra), counter)
        return self._alert(
            MessageCode.DBCH10_MESSAGE_DISCARDED_DUE_TO_DUTY_CYCLE_MANAGEMENT_SUB_GHZ_ALERT,
            AlertCode.MESSAGE_DISCARDED_DUE_TO_DUTY_CYCLE_MANAGEMENT,
            identity.data(),
        )

    def admit(self, device: Eui64, on_band: Iterable[Eui64]) -> bytes | None:
        """DBCH11 if ``device`` would take the sub-GHz HAN beyond its capacity."""
        others = [d for d in on_band if d != device]
        if len(others) < self.capacity:
            return None
        return self._alert(
            MessageCode.DBCH11_NO_MORE_SUB_GHZ_DEVICE_CAPACITY_SUB_GHZ_ALERT,
            AlertCode.NO_MORE_SUB_GHZ_DEVICE_CAPACITY,
            device_body(device),
        )

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _entry_json(e: ChannelLogEntry) -> list[int]:
    return [e.time, e.alert_code, e.channel.word, int(e.trigger)]


def _period(data: Data) -> tuple[int, int]:
    """DBCH02's requested period [U]; anything else reads the whole log."""
    if data.type is DataType.STRUCTURE and len(data.items) == 2:
        start, end = (d.value for d in data.items)
        if isinstance(start, int) and isinstance(end, int):
            return start, end
    return 0, 0xFFFFFFFF
