# lanewatch — the two commands that work on a fresh machine:
#   make demo   install everything, run the pipeline on the sample footage (SQLite, out/demo/)
#   make test   install everything, run the test suite
#   make lint   install everything, run ruff (lint and format check) and mypy
# Debian packages (ffmpeg, PostgreSQL, GStreamer RTSP server, chromium, mosquitto for the tests) are installed with apt-get
# when missing (as root, or through sudo).

VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
SHARED  ?= $(abspath ../shared)
export LANEWATCH_SHARED  ?= $(SHARED)
export LANEWATCH_WEIGHTS ?= $(SHARED)/models/yolo11n_int8_openvino_model
DEMO_SOURCE ?= $(SHARED)/footage/parking-aisle/lot-busy.mp4
DEMO_ZONES  ?= zones/lot-busy.json
APT_PACKAGES := ffmpeg postgresql python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-tools \
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
	gstreamer1.0-libav gstreamer1.0-rtsp chromium mosquitto fonts-noto-cjk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint install system-deps benchmark screenshots clean

demo: install
	$(VENV)/bin/lanewatch eval $(DEMO_SOURCE) --zones $(DEMO_ZONES) --out out/demo

test: system-deps install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check lanewatch tests benchmarks
	$(VENV)/bin/ruff format --check lanewatch tests benchmarks
	$(VENV)/bin/mypy lanewatch

# the zh-CN pictures of docs/screenshots (in-process district, ~30 s); docs/screenshots/make.py refreshes all of them
screenshots: install
	LANEWATCH_SCREENSHOTS=1 $(PY) -m pytest -q tests/web/test_roles_acceptance.py

benchmark: system-deps install
	$(PY) benchmarks/throughput.py --cameras 1 4 16

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: the CPU-only 2.13 wheel does not work with PyPI's torchvision
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e '.[test]'
	touch $@

system-deps:
	@if command -v ffmpeg >/dev/null && command -v chromium >/dev/null && command -v mosquitto >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer" 2>/dev/null; then \
		echo "system packages present"; \
	else \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $(APT_PACKAGES); \
	fi

clean:
	rm -rf $(VENV) out .pytest_cache
