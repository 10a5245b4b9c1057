#!/usr/bin/env bash
# ruff (Python), yamllint (YAML), ansible-lint with the production profile, the CI pipeline
# examples against the GitLab CI and GitHub workflow schemas, changelog fragments.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "-- ruff"; ruff check .
echo "-- ruff format"; ruff format --check .
echo "-- yamllint"; yamllint -s .
echo "-- ansible-lint"; ansible-lint --offline
echo "-- CI pipeline examples (GitLab CI and GitHub workflow schemas, offline)"
check-jsonschema --builtin-schema vendor.gitlab-ci examples/gitops/.gitlab-ci.yml
check-jsonschema --builtin-schema vendor.github-workflows examples/gitops/.github/workflows/*.yml
echo "-- changelog fragments"; antsibull-changelog lint
