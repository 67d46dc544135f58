#!/usr/bin/env python3
"""Summarizes several `make bench` result files as the Markdown table of bench/README.md.

    python3 bench/summarize.py bench/results/A.json bench/results/B.json bench/results/C.json

Each row: the median value over the files, the median ratio with every file's ratio in
brackets, the target, and whether the median ratio meets it.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import median  # noqa: E402  (the same median as the per-run figures)


def fmt_value(value, unit):
    if isinstance(value, str):
        return value
    if unit in ("ms", "MiB"):
        return f"{value:,.3g} {unit}" if value < 10 else f"{value:,.1f} {unit}"
    return f"{value:,.0f} {unit}".strip()


def main(paths):
    runs = [json.load(open(p)) for p in paths]
    rows, sections = {}, []
    for run in runs:
        for c in run["table"]:
            key = (c["section"], c["name"])
            if key not in rows:
                rows[key] = []
                if c["section"] not in sections:
                    sections.append(c["section"])
            rows[key].append(c)
    print("| figure | value | ratio (runs) | target | met |")
    print("| --- | --- | --- | --- | --- |")
    for section in sections:
        print(f"| **{section}** | | | | |")
        for (sec, name), cs in rows.items():
            if sec != section:
                continue
            first = cs[0]
            values = [c["value"] for c in cs]
            value = values[0] if isinstance(values[0], str) else median(values)
            ratios = [c["ratio"] for c in cs if c["ratio"] is not None]
            ratio, target, met = "", "", ""
            if ratios:
                ratio = f"{median(ratios):.2f} ({' / '.join(f'{r:.2f}' for r in ratios)})"
            if first["target"] is not None and ratios:
                hib = first["higher_is_better"]
                target = ("≥ " if hib else "≤ ") + f"{first['target']:g}"
                ok = median(ratios) >= first["target"] if hib else median(ratios) <= first["target"]
                met = "yes" if ok else "**no**"
                if not first["enforced"] and first["ok"] is not None:
                    met += " (info)"
            print(f"| {name.strip()} | {fmt_value(value, first['unit'])} | {ratio} | {target} | {met} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1:])
