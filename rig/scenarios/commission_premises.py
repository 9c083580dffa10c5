"""Scenario ``commission-premises``: the flagship, one premises commissioned end to end.

The Supplier pre-notifies the Communications Hub (CHF and GPF), an ESME, a GSME and a PPMID
(SRV 12.2) and reports the hub installed with SM WAN (8.14.1). SRV 8.11 whitelists each HAN
device on the hub (CCS01, answered by the CS14 alert); each joins with its install code and runs
CBKE with the hub. Then the device-to-device joins: Method A between the ESME and the PPMID
(8.7.1: CS03A2 to the PPMID, CS03A1 to the ESME, which runs CBKE with the PPMID for their
application link key), Method B between the GSME and the GPF (8.7.2: CS03B to both) and Method C
between the GSME and the PPMID (8.7.1: CS03C to the GSME with the PPMID's certificate).
Commissioning (8.1.1) sets the meters' clocks: ECS70 to the ESME, GCS28 to the sleepy GSME,
which the hub holds until the GSME wakes and pulls it. Last the PPMID reads credit from the
ESME and from the GPF's GSME mirror and tops the ESME up with a UTRN.

Critical commands (CS03A1/A2/C, ECS70, GCS28) go the DUIS way: the DCC returns a Pre-Command,
the Supplier signs it, the ACB adds the MAC; devices check both and sign their responses, which
the Supplier checks. The run ends with every device Commissioned in the SMI, every device log
holding its partners, and every expected alert arrived. Every GBCS message is in ``gbcs/``, and
with ``--reveal-keys`` the keys to verify them are in ``keystore/``.
"""
