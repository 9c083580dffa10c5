"""Which DUIS command variants each SRV accepts: the first check ``Dcc.submit`` makes (E12).

It exists so the table, with the [U] choices about local delivery it records, is read in one
place rather than inside the DCC's request handling.
"""

from __future__ import annotations

from . import requests as r

ALLOWED_CV: dict[r.ServiceReferenceVariant, tuple[r.CommandVariant, ...]] = {
    r.ServiceReferenceVariant.DEVICE_PRE_NOTIFICATION: (r.CommandVariant.DCC_ONLY,),
    r.ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_SUCCESS: (r.CommandVariant.DCC_ONLY,),
    r.ServiceReferenceVariant.CH_STATUS_UPDATE_INSTALL_NO_SM_WAN: (r.CommandVariant.DCC_ONLY,),
    # [U] 8.11 is non-critical; local delivery (CV 2/3) is not modelled yet
    r.ServiceReferenceVariant.UPDATE_HAN_DEVICE_LOG: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    r.ServiceReferenceVariant.READ_FIRMWARE_VERSION: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    # critical SRVs: CV 4 here; CV 5 arrives as a SignedPreCommand; [U] local delivery (CV 6/7)
    # is not modelled
    r.ServiceReferenceVariant.COMMISSION_DEVICE: (r.CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND,),
    r.ServiceReferenceVariant.JOIN_SERVICE_CRITICAL: (
        r.CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND,
    ),
    r.ServiceReferenceVariant.UNJOIN_SERVICE_CRITICAL: (
        r.CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND,
    ),
    r.ServiceReferenceVariant.JOIN_SERVICE_NON_CRITICAL: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.UNJOIN_SERVICE_NON_CRITICAL: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.READ_DEVICE_LOG: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    r.ServiceReferenceVariant.RESTORE_HAN_DEVICE_LOG: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    # [U] the DCC's TransCoS party signs the command: no Pre-Command round
    r.ServiceReferenceVariant.UPDATE_SECURITY_CREDENTIALS_COS: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.UPDATE_FIRMWARE: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    r.ServiceReferenceVariant.UPDATE_PPMID_FIRMWARE: (r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,),
    r.ServiceReferenceVariant.ACTIVATE_FIRMWARE: (r.CommandVariant.CRITICAL_SR_FOR_PRE_COMMAND,),
    r.ServiceReferenceVariant.READ_INVENTORY: (r.CommandVariant.DCC_ONLY,),
    r.ServiceReferenceVariant.DECOMMISSION_DEVICE: (r.CommandVariant.DCC_ONLY,),
    r.ServiceReferenceVariant.UPDATE_INVENTORY: (r.CommandVariant.DCC_ONLY,),
    # dual-band CH (``dual_band.py``): non-critical, to the CHF; [U] local delivery not modelled
    r.ServiceReferenceVariant.SET_CHF_SUB_GHZ_CONFIGURATION: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.REQUEST_CHF_SUB_GHZ_CHANNEL_SCAN: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.READ_CHF_SUB_GHZ_CONFIGURATION: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.READ_CHF_SUB_GHZ_CHANNEL: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
    r.ServiceReferenceVariant.READ_CHF_SUB_GHZ_CHANNEL_LOG: (
        r.CommandVariant.NON_CRITICAL_SR_TO_DEVICE,
    ),
}
"""SRV -> the command variants the DCC serves for it; any other is refused E12."""
