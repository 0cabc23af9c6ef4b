#!/bin/sh
set -eu
echo "$(pwd) $1"
