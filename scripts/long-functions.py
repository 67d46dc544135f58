#!/usr/bin/env python3
"""Lists the functions in C++ sources longer than a limit (issue 20: no function in src/ over 80
lines). How it measures: comments and string/char literals are blanked, then braces are matched;
a brace block counts as a function body when the text before its `{` (back to the previous `;`,
`{` or `}`) ends in a parameter list, optionally followed by qualifiers (const, noexcept,
override, -> type, a constructor's initialiser list), and is not a control statement (if, for,
while, switch, catch) or a namespace/class/struct/enum/union. Lambdas and local classes count
inside the function that holds them. A function's length is its lines from the line of its
opening brace's signature start to its closing brace, inclusive.

  scripts/long-functions.py [--max N] [PATH...]    (default: --max 80 src)
Exits 1 when any function is longer than N, listing them longest first.
"""
import argparse
import os
import re
import sys

CONTROL = re.compile(r"\b(if|for|while|switch|catch|do|else|try)\s*(\(.*\))?\s*$", re.S)
TYPE_BLOCK = re.compile(r"\b(namespace|class|struct|enum|union)\b[^()]*$", re.S)
FUNC_TAIL = re.compile(
    r"\)\s*(const|noexcept(\([^)]*\))?|override|final|mutable|&|&&|\s|->\s*[\w:<>,\s*&]+)*$"
    r"|\)\s*:\s*[\s\S]*$", re.S)


def blank(text):
    """Comments and literals replaced by spaces, newlines kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j == -1 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j == -1 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif text.startswith('R"', i) and (i == 0 or not (text[i-1].isalnum() or text[i-1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c); i += 1; continue
            end = ")" + m.group(1) + '"'
            j = text.find(end, i + m.end())
            j = n if j == -1 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(" " * (j - i)); i = j
        else:
            out.append(c); i += 1
    return "".join(out)


def functions(path):
    text = blank(open(path, encoding="utf-8", errors="replace").read())
    stack = []  # (is_function_or_inside_one, start_line, name)
    results = []
    last_stop = 0
    line = 1
    for i, c in enumerate(text):
        if c == "\n":
            line += 1
        elif c == "{":
            inside = any(s[0] for s in stack)
            head = text[last_stop:i]
            is_func = False
            name = ""
            if not inside and not TYPE_BLOCK.search(head) and not CONTROL.search(head.strip()) \
                    and FUNC_TAIL.search(head.strip()) and "=" not in head.split("(")[0]:
                is_func = True
                m = re.search(r"([\w:~]+(?:operator\S*)?)\s*\(", head)
                name = m.group(1) if m else "?"
                start = line - head.rstrip().count("\n") + (len(head) - len(head.lstrip())) * 0
                # start at the first non-blank line of the signature
                lead = head[: len(head) - len(head.lstrip())].count("\n")
                start = line - head.count("\n") + lead
            stack.append((is_func, start if is_func else line, name))
            last_stop = i + 1
        elif c == "}":
            if stack:
                is_func, start, name = stack.pop()
                if is_func:
                    results.append((line - start + 1, path, start, name))
            last_stop = i + 1
        elif c == ";":
            last_stop = i + 1
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=80)
    ap.add_argument("paths", nargs="*", default=["src"])
    args = ap.parse_args()
    found = []
    for root in args.paths:
        for dirpath, _, files in os.walk(root) if os.path.isdir(root) else [("", None, [root])]:
            for f in files:
                if f.endswith((".cc", ".h", ".cpp", ".hpp")):
                    found += functions(os.path.join(dirpath, f))
    long = sorted((r for r in found if r[0] > args.max), reverse=True)
    for n, path, start, name in long:
        print(f"{n:5d}  {path}:{start}  {name}")
    print(f"{len(found)} functions read, {len(long)} longer than {args.max} lines")
    return 1 if long else 0


if __name__ == "__main__":
    sys.exit(main())
