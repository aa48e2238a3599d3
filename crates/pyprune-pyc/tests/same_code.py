"""Whether pairs of .pyc files hold the same code, by the interpreter that wrote them.

stdin: one pair per line, ORIGINAL TAB NORMALIZED. Each file's header must be
the same bytes and its marshal data must load, with `marshal.loads`, into
objects equal field by field: every `co_*` attribute of every code object,
recursively, with types compared too (code objects' own `==` ignores
`co_filename` and counts `1 == True`), or dump again to the same bytes. Prints `checked N`, then one line per
pair that differs; exits 1 if any does.
"""

import marshal
import sys


def same(a, b):
    if type(a) is not type(b):
        return False
    if type(a).__name__ == "code":
        fields = [name for name in dir(a) if name.startswith("co_") and not callable(getattr(a, name))]
        return all(same(getattr(a, name), getattr(b, name)) for name in fields)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (set, frozenset)):
        return sorted(map(repr, a)) == sorted(map(repr, b))
    if isinstance(a, (float, complex)):
        # repr tells -0.0 from 0.0 and keeps nan equal to itself.
        return repr(a) == repr(b)
    return a == b


def main():
    checked = 0
    differ = []
    for line in sys.stdin:
        original, normalized = line.rstrip("\n").split("\t")
        with open(original, "rb") as f:
            a = f.read()
        with open(normalized, "rb") as f:
            b = f.read()
        code_a, code_b = marshal.loads(a[16:]), marshal.loads(b[16:])
        # Equal dumps of what was loaded can only come from equal objects; the
        # field-by-field walk decides the rest.
        if a[:16] != b[:16] or not (
            marshal.dumps(code_a) == marshal.dumps(code_b) or same(code_a, code_b)
        ):
            differ.append(original)
        checked += 1
    print("checked", checked)
    for path in differ:
        print("differs", path)
    sys.exit(1 if differ else 0)


main()
