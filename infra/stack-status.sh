#!/usr/bin/env bash
# `qmpipe stack status`: see infra/stack.sh and infra/README.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
stack_status
