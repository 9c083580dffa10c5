"""ZigBee network, application support and device object layers."""
