# Run by pyprune (`python -I -S -B import_probe.py MODULE...`) to learn which
# source files importing MODULE... loads: the hot path whose bytecode the zip
# steps store. A module that fails to import is passed over (an import set
# may name modules this interpreter lacks). It prints the source file of
# every module imported by the end (hex of its bytes, one a line); nothing is
# written (-B).
import os
import sys

for name in sys.argv[1:]:
    try:
        __import__(name)
    except BaseException:
        pass
sys.stdout.write(''.join(
    os.fsencode(s.origin).hex() + '\n'
    for s in [getattr(m, '__spec__', None) for m in list(sys.modules.values())]
    if s is not None and s.has_location and isinstance(s.origin, str) and s.origin.endswith('.py')))
sys.stdout.flush()
