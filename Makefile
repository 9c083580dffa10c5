# Two commands do everything on a fresh machine: `make run` and `make test`.
PY      := .venv/bin/python
STAMP   := .venv/.installed
OUT     ?= runs/latest

.PHONY: setup system-tools run test bench lint firmware clean

setup: $(STAMP) system-tools

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# tshark is an outside oracle in the tests; mosquitto is the real broker MQTT tests start.
system-tools:
	@missing=""; \
	command -v tshark >/dev/null || missing="$$missing tshark"; \
	command -v mosquitto >/dev/null || test -x /usr/sbin/mosquitto || missing="$$missing mosquitto"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "warning: missing$$missing (install them; tests that need them will skip)"; fi; \
	fi

# The flagship: one premises commissioned end to end.
run: setup
	.venv/bin/hil-rig run commission-premises --out $(OUT) --reveal-keys

# The dongle path once more, on real time: the hub on NcpStack, real bellows over a pty to the
# NCP emulator (hardware/ci-ncp-emulator.yaml); the suite's cases that cover whitelist, join and
# CBKE of all three devices (the sleepy GSME too), a refusal, a removal and a WAN replay.
CI_NCP_BENCH := hardware/ci-ncp-emulator.yaml
CI_NCP_TESTS := $(addprefix hil_tests/test_commissioning.py::,test_commissioning \
	test_a_device_not_whitelisted_is_refused_while_another_may_join \
	test_a_removed_device_cannot_rejoin[esme] test_a_replayed_gbcs_command_is_refused)

test: setup
	$(PY) -m pytest -q
	$(PY) -m pytest -q -p no:cacheprovider --bench $(CI_NCP_BENCH) $(foreach t,$(CI_NCP_TESTS),'$(t)')
	$(PY) -m ruff check .
	$(PY) -m mypy --strict

# Timing goals live here, run on demand; each benchmark's last line is JSON.
bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Sample OTA images, rebuilt byte-identical from committed sources and test-only keys.
firmware: setup
	$(PY) firmware_images/build.py

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy --strict

clean:
	rm -rf .venv runs .pytest_cache .mypy_cache .ruff_cache .hypothesis
