#!/bin/sh
echo "went wrong" >&2
exit 3
