#!/usr/bin/env bash
# `qmpipe stack up`: see infra/stack.sh and infra/README.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
stack_up
cat "$STACK_ENV"
