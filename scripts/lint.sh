#!/usr/bin/env bash
# ruff (Python), yamllint (YAML) and ansible-lint with the production profile.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "-- ruff"; ruff check .
echo "-- ruff format"; ruff format --check .
echo "-- yamllint"; yamllint -s .
echo "-- ansible-lint"; ansible-lint --offline
echo "-- changelog fragments"; antsibull-changelog lint
