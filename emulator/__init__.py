"""Emulators of GB smart metering HAN devices: codecs, the HAN, and the device actors."""
