"""Device actors: Communications Hub (CHF + GPF), ESME, GSME, PPMID, with persistent state."""
