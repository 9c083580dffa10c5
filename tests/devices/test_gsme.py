"""The sleepy GSME and its GPF: GBCS held by the hub until the GSME wakes and fetches it, the GPF's
own use cases and mirror, and the hub's Time cluster, on a virtual HAN in modelled time."""

from __future__ import annotations

import asyncio
import datetime
import functools
import random
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from zigpy.zcl import foundation

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    DS,
    KA,
    AlertCode,
    Asn1Payload,
    GeneralSigning,
    MemoryKeyStore,
    MessageCode,
    OtherInformation,
    Verdict,
    analyse,
    protect,
)
from emulator.codec.gbcs.asn1 import DeviceType, JoinMethodAndRole, decode_asn1, encode_asn1
from emulator.codec.gbcs.crypto import sign_pre_command
from emulator.codec.gbcs.device_log import HanDeviceType
from emulator.codec.gbcs.dlms import DataNotification
from emulator.codec.security.cbke.suites import KeyEstablishmentSuite
from emulator.codec.zcl import frame as zcl
from emulator.codec.zcl.attributes import Side
from emulator.codec.zcl.metering import METERING, FunctionalNotificationFlags
from emulator.codec.zcl.time import TIME, TIME_STATUS_MASTER_SYNCHRONISED, utc_time
from emulator.devices.comms_hub import CommsHub
from emulator.devices.gpf import GPF_ENDPOINT, Gpf
from emulator.devices.gsme import DeviceTimeStatus, Gsme, GsmeProfile
from emulator.devices.join_log import Partner
from emulator.devices.registers import PREPAYMENT
from emulator.han.clock import VirtualClock
from emulator.han.key_establishment import KEY_ESTABLISHMENT_CLUSTER, KeyEstablishmentService
from emulator.han.port import ApsMessage, DropReason
from emulator.han.stack.node import EmulatedStack, Role
from emulator.han.stack.state import SqliteStateStore
from emulator.han.virtual import VirtualHan
from emulator.pki.smki import RemotePartyRole, TestSmki, memory_store
from emulator.pki.zse import ZseTestCa

ACB = Eui64("90-B3-D5-1F-30-00-00-02")
SUPPLIER = Eui64("90-B3-D5-1F-30-01-00-00")
GSME = Eui64("00-DB-12-34-56-78-90-A1")
CHF = Eui64("00-DB-12-34-56-78-90-A2")
GPF = Eui64("00-DB-12-34-56-78-90-A3")
PPMID = Eui64("00-DB-12-34-56-78-90-A4")
INSTALL_CODE = bytes(range(16))  # test-only
POLL_PERIOD = 7.5
WAKE_PERIOD = 120.0


@dataclass(frozen=True)
class Keys:
    dcc: MemoryKeyStore  # the ACB's and the Supplier's keys, the devices' certificates
    hub: MemoryKeyStore
    gpf: MemoryKeyStore
    gsme: MemoryKeyStore


def keys() -> Keys:
    smki = TestSmki(seed="gsme")
    acb = smki.issue_organisation_pair(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER)
    supplier = smki.issue_organisation_pair(SUPPLIER, RemotePartyRole.SUPPLIER)
    devices = {eui: smki.issue_device_pair(eui) for eui in (CHF, GPF, GSME)}
    dcc = memory_store((*acb, *supplier))
    for pair in devices.values():
        for c in pair:
            dcc.put_certificate(c.eui, c.usage, c.certificate)
    stores = {}
    for eui, pair in devices.items():
        stores[eui] = memory_store(pair)
        for c in (*acb, *supplier):
            stores[eui].put_certificate(c.eui, c.usage, c.certificate)
    return Keys(dcc, stores[CHF], stores[GPF], stores[GSME])


@functools.cache
def ppmid_certificate() -> bytes:
    credential = TestSmki(seed="gsme").issue_device(PPMID, KA)
    return credential.certificate.public_bytes(serialization.Encoding.DER)


@dataclass
class Premises:
    tmp: Path
    keys: Keys
    clock: VirtualClock
    han: VirtualHan
    hub_stack: EmulatedStack
    gsme_stack: EmulatedStack
    hub: CommsHub
    gsme: Gsme
    cbke: dict[Eui64, KeyEstablishmentService]
    to_hub: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    from_hub: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    serving: asyncio.Task[None] | None = None

    @property
    def gpf(self) -> Gpf:
        assert self.hub.gpf is not None
        return self.hub.gpf

    def power_on_hub(self) -> None:
        """The hub's applications over their non-volatile state (again, after a power cycle)."""
        if self.serving is not None:
            self.serving.cancel()
        gpf = Gpf(
            self.hub_stack, GPF, self.keys.gpf, ACB, SqliteStateStore(self.tmp / "gpf.sqlite"),
            self.clock,
        )  # fmt: skip
        hub_store = SqliteStateStore(self.tmp / "hub.sqlite")
        self.hub = CommsHub(self.hub_stack, self.keys.hub, ACB, hub_store, self.clock, gpf)
        self.serving = asyncio.get_running_loop().create_task(
            self.hub.serve(self.to_hub, self.from_hub)
        )

    def command(
        self, code: int, content: bytes, counter: int, recipient: Eui64 = GSME, *, signed: bool
    ) -> bytes:
        """A command from the Supplier (signed as a Pre-Command if critical), MAC'd by the ACB."""
        apdu = GeneralSigning(
            CRA.COMMAND, counter, SUPPLIER, recipient, OtherInformation(code), content
        )
        if signed:
            supplier_ds = self.keys.dcc.private_key(SUPPLIER, DS)
            assert supplier_ds is not None
            apdu = sign_pre_command(apdu, supplier_ds)
        return protect(apdu, self.keys.dcc, ACB).encode()

    def set_clock(self, counter: int, start: float = -1800.0, end: float = 1800.0) -> bytes:
        """GCS28 with a validity interval around the modelled now."""
        now = self.clock.datetime().replace(tzinfo=None, microsecond=0)
        interval = {
            "validityIntervalStart": now + datetime.timedelta(seconds=start),
            "validityIntervalEnd": now + datetime.timedelta(seconds=end),
        }
        content = encode_asn1("SetTimeCommand", interval)
        return self.command(MessageCode.GCS28_SET_CLOCK_ON_GSME, content, counter, signed=True)

    def join_b(self, counter: int, recipient: Eui64, other: Eui64, kind: DeviceType) -> bytes:
        payload = {
            "joinMethodAndRole": JoinMethodAndRole.METHOD_B,
            "otherDeviceEntityIdentifier": other.big(),
            "otherDeviceType": int(kind),
        }
        content = encode_asn1("JoinDeviceCommand", payload)
        code = MessageCode.CS03B_METHOD_B_JOIN
        return self.command(code, content, counter, recipient, signed=False)

    def join_c(self, counter: int, ppmid: Eui64) -> bytes:
        """CS03C (critical): join the GSME with ``ppmid``, carrying its KA certificate."""
        payload = {
            "joinMethodAndRole": JoinMethodAndRole.METHOD_C,
            "otherDeviceEntityIdentifier": ppmid.big(),
            "otherDeviceType": int(DeviceType.PPMID),
            "otherDeviceCertificate": ppmid_certificate(),
        }
        content = encode_asn1("JoinDeviceCommand", payload)
        return self.command(MessageCode.CS03C_METHOD_C_JOIN, content, counter, signed=True)

    async def answer(self, timeout: float = 3 * WAKE_PERIOD) -> bytes:
        async with self.clock.timeout(timeout):
            return await self.from_hub.get()

    async def stop(self) -> None:
        for task in [*self.tasks, *([self.serving] if self.serving else [])]:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.han.stop()


async def serve(stack: EmulatedStack, premises: Premises, cbke: KeyEstablishmentService) -> None:
    """A node's message loop: Key Establishment to CBKE, the rest to the device emulator."""
    async for msg in stack.messages():
        if msg.cluster == KEY_ESTABLISHMENT_CLUSTER:
            cbke.handle(msg)
        elif stack is premises.hub_stack:
            await premises.hub.handle(msg)
        else:
            await premises.gsme.handle(msg)


async def premises(tmp: Path, *, cbke: bool = False, wake: bool = True) -> Premises:
    """A hub (CHF with its GPF) and a sleepy GSME, joined with the install code (and CBKE), the
    GSME on the CHF Device Log, the hub's WAN endpoint served, the GSME waking."""
    clock = VirtualClock()
    han = VirtualHan(clock, seed=5)
    hub_stack = han.coordinator(CHF)
    gsme_stack = han.node(GSME, Role.END_DEVICE, poll_period=POLL_PERIOD)
    await han.start()
    await han.admit_and_join(gsme_stack, INSTALL_CODE)
    k = keys()
    ca = ZseTestCa.generate(KeyEstablishmentSuite.CRYPTO_SUITE_2, rng=random.Random(1).randbytes)
    services = {
        stack.eui64: KeyEstablishmentService(
            stack, clock, [ca.issue(stack.eui64, rng=random.Random(2).randbytes)], 5, POLL_PERIOD
        )
        for stack in (hub_stack, gsme_stack)
    }
    profile = GsmeProfile(wake_period=WAKE_PERIOD)
    gsme_store = SqliteStateStore(tmp / "gsme.sqlite")
    gsme = Gsme(gsme_stack, gsme_store, k.gsme, ACB, clock, CHF, profile, cbke=services[GSME])
    hub: CommsHub = None  # type: ignore[assignment]  # power_on_hub makes it
    p = Premises(tmp, k, clock, han, hub_stack, gsme_stack, hub, gsme, services)
    p.power_on_hub()
    p.hub.device_log.register(GSME, HanDeviceType.GSME, INSTALL_CODE)
    loop = asyncio.get_running_loop()
    p.tasks += [loop.create_task(serve(s, p, services[s.eui64])) for s in (hub_stack, gsme_stack)]
    if cbke:
        key = await services[GSME].establish(CHF)
        await clock.sleep(POLL_PERIOD)  # the hub installs once the last frame lands
        assert hub_stack.link_key(GSME) == key
    if wake:
        p.tasks.append(loop.create_task(gsme.run()))
    return p


def decoded(analysis: object) -> object:
    payload = getattr(analysis, "payload", None)
    assert isinstance(payload, Asn1Payload)
    return payload.value


async def test_gcs28_waits_for_the_gsme_to_wake_and_its_signed_response_reaches_the_wan(
    tmp_path: Path,
) -> None:
    p = await premises(tmp_path, cbke=True)
    started = p.clock.now()
    p.to_hub.put_nowait(p.set_clock(1000))
    await p.clock.sleep(1.0)
    assert p.from_hub.empty() and p.hub.mailbox.pending(GSME) == 1  # held: the GSME sleeps
    assert FunctionalNotificationFlags.TUNNEL_MESSAGE_PENDING in p.gpf.mirror.flags
    answer = analyse(await p.answer(), p.keys.dcc, ACB)
    assert p.clock.now() - started <= WAKE_PERIOD + 60  # at its next wake-up
    assert answer.signature is Verdict.VALID and answer.mac is Verdict.ABSENT  # critical: signed
    assert answer.apdu is not None and answer.apdu.cra is CRA.RESPONSE
    assert answer.apdu.originator == GSME and answer.apdu.recipient == SUPPLIER
    assert answer.apdu.originator_counter == 1000
    response = decoded(answer)
    assert isinstance(response, dict)
    assert response["deviceTimeStatus"] == DeviceTimeStatus.RELIABLE
    device_time = response["deviceTime"].replace(tzinfo=datetime.UTC)
    assert abs((device_time - p.clock.datetime()).total_seconds()) < 60
    assert p.hub.mailbox.pending(GSME) == 0  # the flag clears when the mailbox empties
    assert FunctionalNotificationFlags.TUNNEL_MESSAGE_PENDING not in p.gpf.mirror.flags
    assert p.gsme.rejected == {} and p.hub.rejected == {}
    await p.stop()


async def test_a_set_clock_outside_its_validity_interval_is_answered_invalid(
    tmp_path: Path,
) -> None:
    p = await premises(tmp_path)
    p.to_hub.put_nowait(p.set_clock(1000, start=3600, end=7200))  # an hour from now
    answer = analyse(await p.answer(), p.keys.dcc, ACB)
    assert answer.signature is Verdict.VALID
    response = decoded(answer)
    assert isinstance(response, dict)
    assert response["deviceTimeStatus"] == DeviceTimeStatus.INVALID
    assert p.gsme.store.load("gsme/clock-offset") is None  # the clock was left alone
    await p.stop()


async def test_replays_are_refused_with_the_alert_and_several_messages_come_in_one_wake(
    tmp_path: Path,
) -> None:
    p = await premises(tmp_path)
    command = p.set_clock(1000)
    p.to_hub.put_nowait(command)
    p.to_hub.put_nowait(command)  # the same counter again
    first = analyse(await p.answer(), p.keys.dcc, ACB)
    alert = analyse(await p.answer(timeout=60), p.keys.dcc, ACB)  # fetched in the same wake-up
    assert first.apdu is not None and first.apdu.cra is CRA.RESPONSE
    assert alert.mac is Verdict.VALID and alert.apdu is not None
    assert alert.apdu.cra is CRA.ALERT and alert.apdu.recipient == ACB
    assert isinstance(alert.payload, DataNotification)
    assert alert.payload.alert_code == AlertCode.TRUSTED_SOURCE_AUTHENTICATION_FAILURE
    assert p.gsme.rejected == {"replayed counter": 1} and p.gsme.wakes == 1
    assert FunctionalNotificationFlags.TUNNEL_MESSAGE_PENDING not in p.gpf.mirror.flags
    await p.stop()


async def test_cs03b_joins_the_gsme_and_the_gpf_each_way(tmp_path: Path) -> None:
    p = await premises(tmp_path)
    p.to_hub.put_nowait(p.join_b(1001, GPF, GSME, DeviceType.GSME))  # the GPF answers at once
    gpf_answer = analyse(await p.answer(timeout=1.0), p.keys.dcc, ACB)
    backup = analyse(await p.answer(timeout=1.0), p.keys.dcc, ACB)
    assert gpf_answer.mac is Verdict.VALID and decoded(gpf_answer) == 0
    assert backup.mac is Verdict.VALID and backup.apdu is not None
    assert backup.apdu.message_code == MessageCode.GCS62_BACKUP_GPF_DEVICE_LOG
    alert = decoded(backup)
    assert isinstance(alert, dict) and alert["alertCode"] == AlertCode.GPF_DEVICE_LOG_CHANGED
    assert alert["deviceLogEntries"] == [{"deviceId": GSME.big(), "deviceType": 0}]
    p.to_hub.put_nowait(p.join_b(1002, GSME, GPF, DeviceType.GPF))  # the GSME's, when it wakes
    gsme_answer = analyse(await p.answer(), p.keys.dcc, ACB)
    assert gsme_answer.mac is Verdict.VALID and decoded(gsme_answer) == 0
    assert gsme_answer.apdu is not None and gsme_answer.apdu.originator == GSME
    partner = p.gsme.join_log.get(GPF)
    assert partner == Partner(GPF, DeviceType.GPF, JoinMethodAndRole.METHOD_B)
    cs07 = p.command(MessageCode.CS07_READ_DEVICE_JOIN_DETAILS, b"", 1003, GPF, signed=False)
    p.to_hub.put_nowait(cs07)
    read = analyse(await p.answer(timeout=1.0), p.keys.dcc, ACB)
    assert read.apdu is not None
    entries = decode_asn1("ReadDeviceJoinDetailsResponse", read.apdu.content)
    assert entries["deviceLogEntries"] == [{"deviceId": GSME.big(), "deviceType": 0}]
    await p.stop()


async def read(
    p: Premises, reader: EmulatedStack, inbox: asyncio.Queue[ApsMessage], cluster: int, tsn: int
) -> zcl.ZclFrame:
    ids = [0x0001, 0x0002, 0x0003, 0x0005] if cluster == PREPAYMENT else [0x0000, 0x0300, 0x0302]
    request = zcl.read_attributes(ids if cluster != TIME else [0x0000, 0x0001], tsn=tsn)
    endpoint = 1 if cluster == TIME else GPF_ENDPOINT
    await reader.send(CHF, cluster=cluster, payload=request.encode(), dst_endpoint=endpoint)
    async with p.clock.timeout(10):
        return zcl.decode_zcl((await inbox.get()).payload)


async def test_the_mirror_serves_the_gsme_registers_to_partners_only_and_the_hub_tells_time(
    tmp_path: Path,
) -> None:
    p = await premises(tmp_path)
    ppmid = p.han.node(PPMID, Role.ROUTER)
    await ppmid.start()
    await p.han.admit_and_join(ppmid, INSTALL_CODE)
    inbox: asyncio.Queue[ApsMessage] = asyncio.Queue()

    async def ppmid_inbox() -> None:
        async for msg in ppmid.messages():
            inbox.put_nowait(msg)

    p.tasks.append(asyncio.get_running_loop().create_task(ppmid_inbox()))
    p.gsme.set_registers(credit_remaining=1234, current_summation_delivered=56_789)
    await p.clock.sleep(WAKE_PERIOD + 30)  # the GSME woke and reported
    refused = await read(p, ppmid, inbox, PREPAYMENT, 1)  # not a partner of the GPF yet
    assert refused.is_global and refused.command_id == foundation.GeneralCommand.Default_Response
    assert zcl.parse_command(PREPAYMENT, refused).status == foundation.Status.NOT_AUTHORIZED
    p.to_hub.put_nowait(p.join_c(1001, PPMID))  # CS03C: the GSME joins the PPMID
    joined = analyse(await p.answer(), p.keys.dcc, ACB)  # 600 octets: fragments, one a poll
    assert joined.signature is Verdict.VALID and decoded(joined) == 0
    partner = p.gsme.join_log.get(PPMID)
    assert partner is not None and partner.method is JoinMethodAndRole.METHOD_C
    assert partner.certificate is not None
    assert bytes(partner.certificate) == ppmid_certificate()
    assert p.gpf.gsme_partners == {PPMID}  # the GPF saw the join succeed: the PPMID may read
    credit = zcl.read_attributes_result(await read(p, ppmid, inbox, PREPAYMENT, 2))
    assert credit == {0x0001: 1234, 0x0002: 500, 0x0003: 0x01, 0x0005: 0}
    gas = zcl.read_attributes_result(await read(p, ppmid, inbox, METERING, 3))
    assert gas == {0x0000: 56_789, 0x0300: 0x01, 0x0302: 1000}
    time = zcl.read_attributes_result(await read(p, ppmid, inbox, TIME, 4))
    assert abs(time[0x0000] - utc_time(p.clock.datetime())) <= 10
    assert time[0x0001] == TIME_STATUS_MASTER_SYNCHRONISED
    assert abs((await p.gsme.hub_time() - p.clock.datetime()).total_seconds()) <= 10
    await p.stop()


async def test_a_hub_power_cycle_loses_no_queued_command(tmp_path: Path) -> None:
    p = await premises(tmp_path, wake=False)
    p.to_hub.put_nowait(p.set_clock(1000))
    p.to_hub.put_nowait(p.join_b(1001, GSME, GPF, DeviceType.GPF))
    await p.clock.sleep(1.0)
    assert p.hub.mailbox.pending(GSME) == 2
    message, remaining = await p.gsme.tunnel.get(CHF)  # the first handed out, the second waits
    assert message is not None and remaining == 1
    await p.clock.sleep(1.0)  # its APS ACK reaches the hub, which forgets it
    p.power_on_hub()  # a power cycle: new applications over the same state
    assert p.hub.mailbox.pending(GSME) == 1 and p.hub.device_log.get(GSME) is not None
    assert FunctionalNotificationFlags.TUNNEL_MESSAGE_PENDING in p.gpf.mirror.flags
    assert await p.gsme.wake() == 1  # its old tunnel is gone: the GSME opens a new one
    answer = analyse(await p.answer(timeout=30), p.keys.dcc, ACB)
    assert answer.apdu is not None and answer.apdu.originator_counter == 1001
    assert p.hub.mailbox.pending(GSME) == 0
    assert FunctionalNotificationFlags.TUNNEL_MESSAGE_PENDING not in p.gpf.mirror.flags
    await p.stop()


async def test_a_gsme_on_no_network_idles_until_it_joins(tmp_path: Path) -> None:
    """Install and leave (MP121): months without a HAN cost one wake-up, not one per period;
    once the GSME joins it wakes on its period again."""
    clock = VirtualClock()
    han = VirtualHan(clock, seed=5)
    han.coordinator(CHF)
    gsme_stack = han.node(GSME, Role.END_DEVICE, poll_period=POLL_PERIOD)
    await han.start()
    store = SqliteStateStore(tmp_path / "gsme.sqlite")
    gsme = Gsme(gsme_stack, store, keys().gsme, ACB, clock, CHF, GsmeProfile(WAKE_PERIOD))
    task = asyncio.get_running_loop().create_task(gsme.run())
    try:
        await clock.sleep(90 * 86400)
        assert (gsme.wakes, gsme.off_network) == (1, True)
        await han.admit_and_join(gsme_stack, INSTALL_CODE)
        await clock.sleep(WAKE_PERIOD + 1)  # no hub application here: the wake-up's read waits
        assert (gsme.wakes, gsme.off_network) == (2, False)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await han.stop()


async def test_a_wake_up_due_during_cbke_waits_for_it_and_no_frame_fails_its_mic(
    tmp_path: Path,
) -> None:
    """CBKE replaces the APS link key at the GSME first and at the hub a poll later; a wake-up
    due meanwhile is skipped (its frames would carry the key being replaced) and the next one,
    a wake period after the exchange, runs under the new key on both sides. (Without the skip,
    this timing costs 3 MIC failures at the hub, the report's APS retries, and 1 at the GSME,
    the hub's APS ACK secured with the old key.)"""
    p = await premises(tmp_path)  # the GSME's first wake-up is due at WAKE_PERIOD
    await p.clock.sleep(WAKE_PERIOD - 30)  # CBKE ends just after the wake-up falls due
    p.gsme.set_registers(credit_remaining=1234)  # something to report at that wake-up
    key = await p.cbke[GSME].establish(CHF)  # tens of modelled seconds: polls in between
    ended = p.clock.now()
    assert ended > WAKE_PERIOD and (p.gsme.wakes, p.gsme.wakes_skipped) == (0, 1)
    assert not p.cbke[GSME].under_way(CHF)
    await p.clock.sleep(WAKE_PERIOD + 30)
    assert p.gsme.wakes == 1 and p.hub_stack.link_key(GSME) == key
    mirrored = p.gpf.mirror.table(PREPAYMENT, Side.SERVER)
    assert mirrored is not None and mirrored[0x0001] == 1234  # the report went through
    reasons = (DropReason.WRONG_KEY, DropReason.REPLAY)
    assert [s.drops[r] for s in (p.hub_stack, p.gsme_stack) for r in reasons] == [0, 0, 0, 0]
    await p.stop()


async def test_suspend_zcl_messages_holds_the_mirror_reports_until_lifted_or_over(
    tmp_path: Path,
) -> None:
    """The hub's Sub-GHz cluster Suspend ZCL Messages {minutes}: the GSME still wakes and reads
    its flags but sends its mirror no report for that long; 0 lifts it, and it ends by itself."""
    from emulator.codec.zcl.attributes import Side
    from emulator.devices.sub_ghz import SUB_GHZ

    p = await premises(tmp_path, cbke=True)

    def mirrored() -> object:
        return (p.gpf.mirror.table(PREPAYMENT, Side.SERVER) or {}).get(0x0001)

    async def suspend(minutes: int, tsn: int) -> None:
        frame = zcl.build_command(SUB_GHZ, "suspend_zcl_messages", tsn=tsn, period=minutes)
        await p.hub_stack.send(GSME, cluster=SUB_GHZ, payload=frame.encode())

    p.gsme.set_registers(credit_remaining=1234)
    await p.clock.sleep(WAKE_PERIOD + 30)
    assert mirrored() == 1234
    await suspend(60, 1)
    assert p.gsme.suspended
    wakes = p.gsme.wakes
    p.gsme.set_registers(credit_remaining=1000)
    await p.clock.sleep(3 * WAKE_PERIOD)
    assert mirrored() == 1234 and p.gsme.wakes > wakes  # awake, but silent to its mirror
    await suspend(0, 2)  # lifted
    assert not p.gsme.suspended
    await p.clock.sleep(2 * WAKE_PERIOD)
    assert mirrored() == 1000
    await suspend(1, 3)  # one minute, then over by itself
    p.gsme.set_registers(credit_remaining=900)
    await p.clock.sleep(60 + 2 * WAKE_PERIOD)
    assert not p.gsme.suspended and mirrored() == 900
    await p.stop()
