# Run by pyprune (`python -I -S -B [-O|-OO] startup_probe.py SITEDIR`) to learn
# which modules this interpreter imports from source files before pyprune's
# runtime loads. It starts site as a normal start does (-S only put it off),
# reading one site-packages, SITEDIR, whose one .pth is named as the
# runtime's: that .pth prints the modules imported so far and ends the run
# where the runtime's .pth would run. Modules that are built in or frozen
# have no source file and are not printed. Nothing is imported here that site
# would not import, and nothing is written (-B).
import sys
import site

site.getsitepackages = lambda prefixes=None: [sys.argv[1]]
site.ENABLE_USER_SITE = False
site.main()
sys.exit("pyprune's start-up probe: site did not run its .pth")
