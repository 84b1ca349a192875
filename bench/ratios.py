#!/usr/bin/env python3
"""Same-run ratios from reference-bench/agg.py's output (shared by bench/run_*_bench.sh).

Usage: ratios.py AGG_FILE LABEL:A:B[:SCALE] ...
Prints "ratio_LABEL <median of A * SCALE / median of B> x" for each spec (SCALE converts
units, e.g. 1000 for A in us and B in ns). A metric missing from AGG_FILE is reported on
stderr ("ratio_LABEL: no figure for X") and that ratio is left out.
"""
import sys

med = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) >= 3:
        try:
            med[parts[0]] = float(parts[1])
        except ValueError:
            pass
for spec in sys.argv[2:]:
    label, a, b, *scale = spec.split(":")
    factor = float(scale[0]) if scale else 1.0
    if a in med and b in med and med[b] > 0:
        print(f"ratio_{label} {med[a] * factor / med[b]:.2f} x")
    else:
        print(f"ratio_{label}: no figure for {a if a not in med else b}", file=sys.stderr)
