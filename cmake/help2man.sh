#!/usr/bin/env bash
# Writes a man page (roff) for a CLI11 program from its --help output and that of each of its
# subcommands (one level of nesting below that too), so the pages never drift from the code.
# Usage: help2man.sh PROGRAM NAME SECTION-TITLE VERSION OUTPUT
# No dependency beyond bash and sed (Debian's help2man is not needed).
set -euo pipefail
prog=$1 name=$2 title=$3 version=$4 out=$5

# roff-safe text: backslashes doubled, leading dots/quotes escaped.
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/" -e 's/^-/\\-/'; }
# Subcommand names listed under "SUBCOMMANDS:" in a CLI11 help text.
subcommands() { sed -n '/^S[Uu][Bb][Cc][Oo][Mm][Mm][Aa][Nn][Dd][Ss]:/,/^$/p' | sed -n 's/^  \([a-z][a-z0-9-]*\) .*/\1/p'; }

help=$(HOME=/nonexistent "$prog" --help 2>&1 || true)
summary=$(head -n 1 <<<"$help" | sed 's/^[^:]*: *//')
{
  echo ".TH \"$(tr a-z A-Z <<<"$name")\" 1 \"\" \"$name $version\" \"$title\""
  echo ".SH NAME"
  echo "$name \\- $(esc <<<"$summary")"
  echo ".SH SYNOPSIS"
  echo ".B $name"
  echo "[\\fIOPTIONS\\fR] \\fISUBCOMMAND\\fR ..."
  echo ".SH DESCRIPTION"
  echo ".nf"
  esc <<<"$help"
  echo ".fi"
  for sub in $(subcommands <<<"$help"); do
    sub_help=$(HOME=/nonexistent "$prog" "$sub" --help 2>&1 || true)
    echo ".SH \"$(tr a-z A-Z <<<"$name $sub")\""
    echo ".nf"
    esc <<<"$sub_help"
    echo ".fi"
    for leaf in $(subcommands <<<"$sub_help"); do
      echo ".SS \"$name $sub $leaf\""
      echo ".nf"
      HOME=/nonexistent "$prog" "$sub" "$leaf" --help 2>&1 | esc || true
      echo ".fi"
    done
  done
  echo ".SH SEE ALSO"
  echo "latchkeyd(1), latchkey(1); /usr/share/doc/latchkey/"
} > "$out.tmp"
mv "$out.tmp" "$out"
