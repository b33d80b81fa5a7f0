#!/usr/bin/env python3
"""Where a software-CPU guest spends its time, by guest function: folds `perf report` lines of
blocks named by VMON_PERF_MAP (guest:kernel:RIP, guest:user:RIP; see accel/soft/tb.c) onto the
guest kernel's symbols (a /proc/kallsyms or System.map; boot with nokaslr so that they match).
Host functions (vmon's C handlers, the kernel) are listed as they are.

  VMON_PERF_MAP=1 perf record -e cpu-clock -o P vmon run --accel soft ... -append '... nokaslr'
  perf report -i P --no-children --sort sym > R
  benches/guest-profile.py R KALLSYMS [N]"""
import bisect, re, sys

def load_syms(path):
    syms = []
    for line in open(path, errors='replace'):
        f = line.split()
        if len(f) >= 3 and f[1] in 'tTwW' and re.fullmatch(r'[0-9a-f]{16}', f[0]):
            syms.append((int(f[0], 16), f[2]))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]

def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    addrs, names = load_syms(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    total, where = {}, {'guest kernel': 0.0, 'guest user': 0.0, 'translated, unnamed': 0.0, 'host': 0.0}
    for line in open(sys.argv[1], errors='replace'):
        m = re.match(r'\s*([0-9.]+)%\s+\[(.)\]\s+(\S+)', line)
        if not m:
            continue
        pct, sym = float(m.group(1)), m.group(3)
        g = re.fullmatch(r'guest:(kernel|user):([0-9a-f]+)', sym)
        if g and g.group(1) == 'kernel' and addrs:
            i = bisect.bisect_right(addrs, int(g.group(2), 16)) - 1
            key = 'guest ' + (names[i] if i >= 0 else g.group(2))
            where['guest kernel'] += pct
        elif g:
            key = 'guest user code'
            where['guest user'] += pct
        elif sym.startswith('0x'):
            key = '(translated code with no map entry)'
            where['translated, unnamed'] += pct
        else:
            key = sym
            where['host'] += pct
        total[key] = total.get(key, 0.0) + pct
    for k, v in where.items():
        print('%-24s %6.2f%%' % (k, v))
    print()
    for k, v in sorted(total.items(), key=lambda kv: -kv[1])[:top]:
        print('%6.2f%%  %s' % (v, k))

if __name__ == '__main__':
    main()
