"""The ESME on a dongle of its own (``hardware/ci-two-ncp-emulators.yaml``), whatever ``--bench``
names: the unchanged ``Esme`` actor on ``NcpRouterStack`` through real bellows and a second NCP
emulator, the hub on ``NcpStack`` through the first, the GSME and the PPMID on the virtual HAN
that is both dongles' air. SRV 8.11 whitelists the ESME, it joins through its dongle with that
install code and runs CBKE (the rig's Key Establishment service above both dongles), and SRV
11.2 (ECS52) crosses the hub's tunnel into it and back, MAC-checked by the Supplier. Wall-clock
time: a few seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from emulator.codec.gbcs import Verdict, analyse
from emulator.codec.gbcs.firmware_version import reported_version
from emulator.codec.security import keys
from emulator.han.ncp.router import NcpRouterStack
from rig.dcc import ReadFirmwareVersion, ResponseCode, ServiceReferenceVariant, ServiceResponse
from rig.dcc.inventory import SmiStatus
from rig.scenarios.han_join import ESME, HUB
from rig.scenarios.premises import ACB

from .plugin import Premises, ncp_premises, read_bench

pytestmark = pytest.mark.real_time

BENCH = Path(__file__).parents[1] / "hardware" / "ci-two-ncp-emulators.yaml"
SRV_TIMEOUT = 30.0  # wall-clock seconds: two modelled WAN legs (2 s each) and the HAN


@pytest.fixture
async def two_dongles(tmp_path: Path) -> AsyncIterator[Premises]:
    async with ncp_premises(read_bench(BENCH), tmp_path, 1) as premises:
        yield premises


async def test_the_esme_on_a_router_dongle_is_whitelisted_joins_and_answers_ecs52(
    two_dongles: Premises,
) -> None:
    premises = two_dongles
    esme, hub = premises.nodes["esme"], premises.nodes["hub"]
    assert isinstance(esme.stack, NcpRouterStack)
    supplier = premises.supplier
    await supplier.set_up()
    code = await supplier.whitelist(ESME.eui64, premises.install_codes["esme"])
    assert code is ResponseCode.I0, f"8.11 ESME: {code.value}"
    record = premises.dcc.inventory.smi(ESME.eui64)
    assert record is not None and record.status is SmiStatus.WHITELISTED

    key = keys.install_code_key(premises.install_codes["esme"])
    await esme.stack.join(key)
    assert esme.stack.joined and esme.stack.trust_centre == HUB.eui64
    link_key = await esme.cbke.establish(HUB.eui64)
    await premises.clock.sleep(0.5)  # the hub, as responder, installs once the last frame lands
    assert hub.stack.link_key(ESME.eui64) == link_key == esme.stack.link_key(HUB.eui64)

    srv = ServiceReferenceVariant.READ_FIRMWARE_VERSION
    answer = await supplier.request(ESME.eui64, srv, ReadFirmwareVersion(), SRV_TIMEOUT)
    assert isinstance(answer, ServiceResponse) and answer.gbcs_payload is not None
    checked = analyse(answer.gbcs_payload, supplier.keystore, ACB)
    assert checked.mac is Verdict.VALID
    assert premises.devices is not None and premises.devices.esme is not None
    assert reported_version(checked.payload) == premises.devices.esme.firmware_version
    assert premises.hub.rejected == {}
