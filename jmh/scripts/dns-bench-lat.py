#!/usr/bin/env python3
"""Per-query latency for jmh/scripts/dns-bench.sh: one run's histograms, and the rounds pooled.

  dns-bench-lat.py run OUT [PCAP SERVER_IP PORT] < dnsperf -v output
      Reads dnsperf's per-query lines ("> RCODE name type seconds") from stdin: the client view,
      query sent to answer received. With a capture (pcap, nanosecond or microsecond timestamps,
      Ethernet / Linux cooked / loopback link types), it also pairs each query sent to SERVER_IP:PORT
      with its answer by (client port, DNS id) and takes the time between the two packets on the
      wire: the server's turnaround, without dnsperf's own scheduling in it.
      Writes OUT.client (us, count) and OUT.turn (0.1 us, count) histograms, compact enough to keep
      for every run (the raw lines are ~40,000 per run and are never stored), and prints
      "client: p50_ms p99_ms p999_ms max_ms answers timeouts  turn: p50_us p99_us p999_us max_us pairs unmatched"
      (turn fields "-" without a capture).

  dns-bench-lat.py pool DIR WORKLOADS SERVERS [RESAMPLES]
      DIR holds NAME-WORKLOAD-ROUND.client/.turn from the runs above (ROUND 1..R; the same rounds
      for every server). For each workload and view, pools every round's queries per server and prints
      the pooled percentiles, then for navstar against each other server: the pooled-p99 ratio with a
      95 % bootstrap confidence interval (rounds resampled with replacement, the same round indices for
      both servers, since a pair of runs seconds apart shares the machine's load; percentile interval;
      fixed seed, so the same data give the same output) and in how many rounds navstar's p99 was
      lower than or equal to the other's.

Percentiles are by rank, as the script's awk does: the k-th smallest of n with k = int(n * q),
at least 1 (p50 uses int(n / 2) + 1).
"""
import bisect
import collections
import os
import random
import struct
import sys

CLIENT_UNIT = 1e-6  # seconds per client histogram unit (dnsperf prints microseconds)
TURN_UNIT = 1e-7    # seconds per turnaround histogram unit


def rank(n, q):
    if q == 0.5:
        return n // 2 + 1
    return max(1, int(n * q))


class Hist:
    """Sorted distinct values with cumulative counts: percentiles of one run or of several pooled."""

    def __init__(self, counts):
        self.values = sorted(counts)
        self.cum = []
        total = 0
        for v in self.values:
            total += counts[v]
            self.cum.append(total)
        self.n = total

    def at_most(self, v):  # how many samples are <= v
        i = bisect.bisect_right(self.values, v)
        return self.cum[i - 1] if i else 0

    def pct(self, q):
        return pooled_pct([(self, 1)], q, self.values)

    def max(self):
        return self.values[-1] if self.values else None


def pooled_pct(weighted, q, union):
    """The rank-q value of the runs pooled (each run counted `weight` times), by bisecting the union
    of their values: no run is ever merged or sorted again, so a bootstrap resample costs
    log2(len(union)) * runs lookups."""
    n = sum(h.n * w for h, w in weighted)
    if n == 0:
        return None
    k = rank(n, q)
    lo, hi = 0, len(union) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(h.at_most(union[mid]) * w for h, w in weighted) >= k:
            hi = mid
        else:
            lo = mid + 1
    return union[lo]


def read_pcap_turnaround(path, server_ip, port):
    """Turnaround in TURN_UNIT per answered query, and the count of queries with no answer seen."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return [], 0
    magic = struct.unpack_from('<I', data, 0)[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        endian = '<'
    else:
        endian = '>'
        magic = struct.unpack_from('>I', data, 0)[0]
    frac = 1e-9 if magic == 0xa1b23c4d else 1e-6
    link = struct.unpack_from(endian + 'I', data, 20)[0]
    l2 = {1: 14, 113: 16, 0: 4, 276: 20}.get(link)
    if l2 is None:
        raise SystemExit(f"pcap link type {link} not understood")
    sip = bytes(int(x) for x in server_ip.split('.'))
    rec = struct.Struct(endian + 'IIII')
    pending = {}
    turn = []
    off = 24
    end = len(data)
    while off + 16 <= end:
        sec, sub, incl, _ = rec.unpack_from(data, off)
        off += 16
        ip = off + l2
        off += incl
        if incl < l2 + 30 or data[ip] >> 4 != 4 or data[ip + 9] != 17:
            continue
        udp = ip + (data[ip] & 15) * 4
        if udp + 10 > off:
            continue
        sport, dport = struct.unpack_from('>HH', data, udp)
        qid = struct.unpack_from('>H', data, udp + 8)[0]
        t = sec + sub * frac
        if dport == port and data[ip + 16:ip + 20] == sip:
            pending.setdefault((sport, qid), t)
        elif sport == port and data[ip + 12:ip + 16] == sip:
            t0 = pending.pop((dport, qid), None)
            if t0 is not None:
                turn.append(round((t - t0) / TURN_UNIT))
    return turn, len(pending)


def write_hist(path, values):
    counts = collections.Counter(values)
    with open(path, 'w') as o:
        for v in sorted(counts):
            o.write(f"{v} {counts[v]}\n")
    return Hist(counts)


def read_hist(path):
    counts = {}
    with open(path) as f:
        for line in f:
            v, c = line.split()
            counts[int(v)] = int(c)
    return Hist(counts)


def fmt(v, unit, scale, digits):
    return "-" if v is None else f"{v * unit * scale:.{digits}f}"


def cmd_run(args):
    out = args[0]
    lat = []
    timeouts = 0
    for line in sys.stdin:
        if not line.startswith('> '):
            continue
        f = line.split()
        if f[1] == 'T':
            timeouts += 1
            continue
        try:
            lat.append(round(float(f[-1]) / CLIENT_UNIT))
        except ValueError:
            continue
    h = write_hist(out + '.client', lat)
    fields = [fmt(h.pct(0.5), CLIENT_UNIT, 1e3, 3), fmt(h.pct(0.99), CLIENT_UNIT, 1e3, 3),
              fmt(h.pct(0.999), CLIENT_UNIT, 1e3, 3), fmt(h.max(), CLIENT_UNIT, 1e3, 3), str(h.n), str(timeouts)]
    if len(args) >= 4:
        turn, unmatched = read_pcap_turnaround(args[1], args[2], int(args[3]))
        t = write_hist(out + '.turn', turn)
        fields += [fmt(t.pct(0.5), TURN_UNIT, 1e6, 1), fmt(t.pct(0.99), TURN_UNIT, 1e6, 1),
                   fmt(t.pct(0.999), TURN_UNIT, 1e6, 1), fmt(t.max(), TURN_UNIT, 1e6, 1), str(t.n), str(unmatched)]
    else:
        fields += ['-'] * 6
    print(' '.join(fields))


def cmd_pool(args):
    d, workloads, servers = args[0], args[1].split(), args[2].split()
    resamples = int(args[3]) if len(args) > 3 else 2000
    views = [('client', 'client view (dnsperf)', CLIENT_UNIT, 1e3, 3, 'ms'),
             ('turn', 'server turnaround (wire)', TURN_UNIT, 1e6, 1, 'us')]
    # runs[view][server-workload] = [Hist per round, round order]
    runs = {}
    for view, *_ in views:
        for s in servers:
            for w in workloads:
                r = 1
                hs = []
                while os.path.exists(os.path.join(d, f"{s}-{w}-{r}.{view}")):
                    hs.append(read_hist(os.path.join(d, f"{s}-{w}-{r}.{view}")))
                    r += 1
                if hs and sum(h.n for h in hs) > 0:
                    runs.setdefault(view, {})[f"{s}-{w}"] = hs
    others = sorted((s for s in servers if s != 'navstar'), key=lambda s: s != 'unbound')  # unbound first
    print(f"pooled over all rounds (every query of every round), per server: p50 / p99 / p99.9")
    print(f"{'server / workload':20s} {'client p50 ms':>14s} {'p99':>7s} {'p99.9':>7s}   {'turnaround p50 us':>18s} {'p99':>7s} {'p99.9':>7s}")
    for w in workloads:
        for s in servers:
            cells = []
            for view, _, unit, scale, digits, _u in views:
                hs = runs.get(view, {}).get(f"{s}-{w}")
                if hs:
                    union = sorted(set().union(*(h.values for h in hs)))
                    cells += [fmt(pooled_pct([(h, 1) for h in hs], q, union), unit, scale, digits) for q in (0.5, 0.99, 0.999)]
                else:
                    cells += ['-'] * 3
            print(f"{s + ' / ' + w:20s} {cells[0]:>14s} {cells[1]:>7s} {cells[2]:>7s}   {cells[3]:>18s} {cells[4]:>7s} {cells[5]:>7s}")
    if 'navstar' not in servers:
        return
    for w in workloads:
        for view, label, unit, scale, digits, u in views:
            nav = runs.get(view, {}).get(f"navstar-{w}")
            for o in others:
                other = runs.get(view, {}).get(f"{o}-{w}")
                if not nav or not other:
                    continue
                rounds = min(len(nav), len(other))
                nav_r, other_r = nav[:rounds], other[:rounds]
                u_nav = sorted(set().union(*(h.values for h in nav_r)))
                u_other = sorted(set().union(*(h.values for h in other_r)))
                p_nav = pooled_pct([(h, 1) for h in nav_r], 0.99, u_nav)
                p_other = pooled_pct([(h, 1) for h in other_r], 0.99, u_other)
                wins = sum(1 for a, b in zip(nav_r, other_r) if a.n and b.n and a.pct(0.99) <= b.pct(0.99))
                point = p_nav / p_other if p_other else None
                rng = random.Random(20261125)  # fixed: the same data give the same interval
                ratios = []
                for _ in range(resamples if rounds >= 2 else 0):
                    m = collections.Counter(rng.randrange(rounds) for _ in range(rounds))
                    a = pooled_pct([(nav_r[i], c) for i, c in m.items()], 0.99, u_nav)
                    b = pooled_pct([(other_r[i], c) for i, c in m.items()], 0.99, u_other)
                    if a is not None and b:
                        ratios.append(a / b)
                ratios.sort()
                if len(ratios) >= 40:
                    lo, hi = ratios[int(0.025 * len(ratios))], ratios[int(0.975 * len(ratios)) - 1]
                    ci = f"95 % CI [{lo:.2f}, {hi:.2f}]"
                    verdict = ("too few rounds to decide" if rounds < 5 else "navstar higher" if lo > 1
                               else "navstar lower" if hi < 1 else "no difference resolved")
                else:
                    ci, verdict = "95 % CI - (needs 2+ rounds)", "-"
                print(f"ratio {w:5s} pooled p99 navstar/{o} {label}: "
                      f"{fmt(p_nav, unit, scale, digits)} / {fmt(p_other, unit, scale, digits)} {u} = "
                      f"{'-' if point is None else f'{point:.2f}'}, {ci} ({verdict}); "
                      f"navstar p99 <= {o}'s in {wins} of {rounds} rounds")


if __name__ == '__main__':
    if len(sys.argv) < 3 or sys.argv[1] not in ('run', 'pool'):
        raise SystemExit(__doc__)
    (cmd_run if sys.argv[1] == 'run' else cmd_pool)(sys.argv[2:])
