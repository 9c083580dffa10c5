"""The emulated ZigBee PRO stack: coordinator and Trust Centre, router, sleepy end device."""
