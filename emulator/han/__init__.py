"""The HAN: clock, medium, radio model, captures, stacks (virtual or dongle) and HanPort."""
