# iotguard.hardening: every target does its own set-up (apt packages, .venv, the
# collection link, the base image) and is safe to run again. Run as root on Debian 12.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
TOP := $(CURDIR)
export PATH := $(TOP)/.venv/bin:$(PATH)
export ANSIBLE_CONFIG := $(TOP)/ansible.cfg
export CONTAINERS_CONF := $(TOP)/containers/containers.conf
export PYTHONDONTWRITEBYTECODE := 1
S ?=

.PHONY: setup image lint sanity unit integration molecule test demo build bench clean help

help:
	@echo "make demo      the main job, end to end on the simulated client site"
	@echo "make test      lint, sanity, unit, integration and every Molecule scenario"
	@echo "make molecule S=<scenario>   one Molecule scenario (all when S is empty)"
	@echo "make bench     the benchmarks under tests/bench (BENCH=<dir> for one)"
	@echo "make lint | sanity | unit | integration | build | image | setup"

setup:
	@scripts/setup.sh

image: setup
	@scripts/build-image.sh

lint: setup
	@scripts/lint.sh

sanity: setup
	@scripts/sanity.sh

unit: setup
	@scripts/pytest.sh tests/unit

integration: image
	@scripts/pytest.sh tests/integration

molecule: image
	@scripts/molecule.sh $(S)

build: setup
	@scripts/build-collection.sh

bench: image
	@scripts/bench.sh

test: setup
	@scripts/test-all.sh

demo: image
	@scripts/demo.sh

clean:
	rm -rf .build .cache reports
