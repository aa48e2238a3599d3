# Shared by the bench scripts (sourced, not run): timing, medians, recording.

# Nanoseconds since the epoch.
now() { date +%s%N; }

# The median of the numbers on stdin, one per line.
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# record_rows MARKER ROWS: inserts ROWS (lines) after the line MARKER of docs/BENCHMARKS.md.
record_rows() {
  local doc=docs/BENCHMARKS.md
  grep -qF "$1" "$doc" || { echo "no '$1' in $doc" >&2; return 1; }
  awk -v rows="$2" -v m="$1" '{ print } $0 == m { print rows }' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "recorded in $doc"
}
