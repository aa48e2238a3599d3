"""Runs CPython's own tests by module name and prints one line per test.

Usage: python cpython_tests.py MODULE... [-PART...] (e.g. test.test_linecache;
a -PART leaves out the tests whose id holds PART), run by the
interpreter under test on the tree under test. Prints first
"PREFIX\t<sys.prefix>" and "RUNTIME\t<yes|no>" (whether pyprune's runtime is
loaded), then one line per test: "PASS\tID", "SKIP\tID" or "FAIL\tID" (a
failure or an error, an expected failure that passed, or a module that did not
import), and for each failing test its traceback on stderr; last "DONE\tN",
N the tests run. Tests that need a resource are skipped, as regrtest skips
them without -u. Exits 0 however the tests went: the caller compares the lines.
"""
import sys
import unittest

print("PREFIX\t%s" % sys.prefix)
print("RUNTIME\t%s" % ("yes" if "pyprune_runtime" in sys.modules else "no"))
sys.stdout.flush()


class Lines(unittest.TextTestResult):
    def addSuccess(self, test):
        super().addSuccess(test)
        self.line("PASS", test)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.line("SKIP", test)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.line("PASS", test)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.line("FAIL", test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.line("FAIL", test)

    def addError(self, test, err):
        super().addError(test, err)
        self.line("FAIL", test)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.line("FAIL", subtest)

    def line(self, outcome, test):
        sys.__stdout__.write("%s\t%s\n" % (outcome, test.id()))
        sys.__stdout__.flush()


# As regrtest runs them by default (no -u): tests that need a resource
# (largefile, cpu: test_zipimport's Zip64 tests write gigabytes for minutes)
# are skipped. Outside regrtest test.support would enable every resource.
import test.support
test.support.use_resources = []


def tests(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from tests(test)
        else:
            yield test


names = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
left_out = [arg[1:] for arg in sys.argv[1:] if arg.startswith("-")]
suite = unittest.TestSuite(
    test for test in tests(unittest.defaultTestLoader.loadTestsFromNames(names))
    if not any(part in test.id() for part in left_out))
runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=0, resultclass=Lines)
result = runner.run(suite)
print("DONE\t%d" % result.testsRun)
