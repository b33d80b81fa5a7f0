# The layering check (issue 10): the include rules over the tree, and over fixtures that break each.
INTEG_TESTS += tests/layering/check.sh tests/layering/fixtures.sh
QUICK_TESTS += tests/layering/check.sh tests/layering/fixtures.sh
