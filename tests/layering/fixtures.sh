#!/usr/bin/env bash
# The layering check against its fixtures: tests/layering/fixtures/RULE/ is a tree with exactly one
# include that breaks RULE (next to allowed ones); check.sh must fail on it and name RULE, once.
set -u
here=$(cd "$(dirname "$0")" && pwd)
fail=0; n=0
for dir in "$here"/fixtures/*/; do
    r=$(basename "$dir")
    n=$((n + 1))
    out=$(LAYERING_ALLOW=/dev/null "$here/check.sh" "$dir")
    rc=$?
    if [ "$rc" -ne 1 ] || [ "$(grep -c "^layering: $r: " <<<"$out")" -ne 1 ] ||
       ! grep -q ' 1 violations$' <<<"$out"; then
        echo "FAIL: fixture $r not caught as one $r violation (status $rc):"
        sed 's/^/    /' <<<"$out"
        fail=1
    else
        echo "ok: $r: $(grep "^layering: $r: " <<<"$out" | sed 's/^layering: [^:]*: //')"
    fi
done
[ "$n" -ge 11 ] || { echo "FAIL: only $n fixtures"; fail=1; }
# The allow-list lets through only what it names: the img-public fixture is still caught with it.
"$here/check.sh" "$here/fixtures/img-public" >/dev/null && { echo "FAIL: the allow-list hid tools/img/info.c"; fail=1; }
exit $fail
