#!/usr/bin/env python3
"""Independent numpy reference for tfjs-snn's event-data readers and transforms (dev tool only).

Run with Debian's Python and numpy (`/usr/bin/python3 tools/reference/events_reference.py`); tests never run it.

1. Writes small fixture files, in the exact binary formats, into test/fixtures/events/:
   - nmnist.bin: 400 N-MNIST events. Format (N-MNIST readme; Orchard's Read_Ndataset.m): 5 bytes per event,
     byte 0 x, byte 1 y, byte 2 bit 7 polarity, bits 0-6 of byte 2 then bytes 3 and 4 a 23-bit big-endian
     microsecond timestamp.
   - nmnist_overflow.bin: a few events around a timestamp-overflow marker (an event with y == 240): the 23-bit
     counter wrapped, so 2^23 us are added to every later timestamp and the marker is no event. (Orchard's and
     Tonic's readers add 2^13; tfjs-snn follows the counter's width; see docs/events.md.)
   - gesture/: a DVS Gesture folder: user01_led.aedat (AEDAT 3.1: '#' header lines from '#!AER-DAT3.1' to
     '#!END-HEADER', CR LF ended; packets of a 28-byte little-endian header (int16 eventType, int16 eventSource,
     int32 eventSize, eventTSOffset, eventTSOverflow, eventCapacity, eventNumber, eventValid) and eventCapacity
     events; polarity events (type 1) are uint32 data (bit 0 valid, bit 1 polarity, bits 2-16 y, bits 17-31 x)
     and int32 timestamp, full time eventTSOverflow << 31 | timestamp), its labels CSV, trials_to_train.txt and
     trials_to_test.txt. One packet is a special-event packet (type 0), one polarity packet has invalid events
     and events past eventNumber, one has eventTSOverflow 1.
   - events_le.npy / events_be.npy: structured arrays (np.save) with fields x, y, t, p in two layouts.
2. Decodes those files again from the format descriptions above (not with tfjs-snn's code), and computes
   frames with the semantics of Tonic's ToFrame (time_window / event_count / n_time_bins / n_event_bins, overlap,
   include_incomplete), Tonic's Denoise(filter_time) and the spatial part of Tonic's Downsample; writes them to
   test/fixtures/events/golden.json. Frames are stored sparsely: [frame, y, x, p, count] for each non-zero count.
"""
import json
import math
import os
import struct

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'events')


# ---------------------------------------------------------------------------------------------
# 1. Fixture files

def blob_events(rng, n, width, height, mean_gap):
    """Events of a blob wandering over the sensor: neighbours in space and time, so denoise keeps some."""
    t = np.cumsum(rng.integers(0, 2 * mean_gap + 1, size=n))
    cx = (width // 2 + np.round(6 * np.sin(np.arange(n) / 60))).astype(int)
    cy = (height // 2 + np.round(6 * np.cos(np.arange(n) / 45))).astype(int)
    x = np.clip(cx + rng.integers(-3, 4, size=n), 0, width - 1)
    y = np.clip(cy + rng.integers(-3, 4, size=n), 0, height - 1)
    noise = rng.random(n) < 0.1
    x[noise] = rng.integers(0, width, size=noise.sum())
    y[noise] = rng.integers(0, height, size=noise.sum())
    p = rng.integers(0, 2, size=n)
    return x, y, t, p


def nmnist_bytes(records):
    out = bytearray()
    for x, y, p, ts in records:
        assert 0 <= ts < 2 ** 23
        out += bytes([x, y, (p << 7) | (ts >> 16), (ts >> 8) & 0xFF, ts & 0xFF])
    return bytes(out)


def write_fixtures():
    rng = np.random.default_rng(20261203)
    os.makedirs(os.path.join(OUT, 'gesture'), exist_ok=True)

    x, y, t, p = blob_events(rng, 400, 34, 34, 700)
    with open(os.path.join(OUT, 'nmnist.bin'), 'wb') as f:
        f.write(nmnist_bytes(zip(x.tolist(), y.tolist(), p.tolist(), t.tolist())))

    wrap = [(1, 2, 1, 2 ** 23 - 20), (3, 4, 0, 2 ** 23 - 5), (0, 240, 0, 0), (5, 6, 1, 7), (7, 8, 0, 300)]
    with open(os.path.join(OUT, 'nmnist_overflow.bin'), 'wb') as f:
        f.write(nmnist_bytes(wrap))

    # DVS Gesture: 300 events on 128 x 128 in three polarity packets and one special packet.
    gx, gy, gt, gp = blob_events(rng, 300, 128, 128, 400)
    gt = gt + 1000
    header = b'#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2017-01-01\r\n#!END-HEADER\r\n'
    packets = bytearray()

    def packet(event_type, size, overflow, capacity, number, body):
        return struct.pack('<hhiiiiii', event_type, 1, size, 4, overflow, capacity, number, number) + body

    def polarity(xs, ys, ps, ts, valid):
        return b''.join(struct.pack('<Ii', (xx << 17) | (yy << 2) | (pp << 1) | vv, tt)
                        for xx, yy, pp, tt, vv in zip(xs, ys, ps, ts, valid))

    # packet 1: events 0..99, all valid
    packets += packet(1, 8, 0, 100, 100, polarity(gx[:100], gy[:100], gp[:100], gt[:100], [1] * 100))
    # a special-event packet (type 0, 8-byte events): skipped
    packets += packet(0, 8, 0, 2, 2, struct.pack('<Ii', 0x11, 5) * 2)
    # packet 2: events 100..199 with every 7th invalid, then 3 slots past eventNumber (capacity 103)
    valid = [0 if i % 7 == 3 else 1 for i in range(100)]
    junk = polarity([9, 9, 9], [9, 9, 9], [1, 1, 1], [0, 0, 0], [1, 1, 1])
    packets += packet(1, 8, 0, 103, 100, polarity(gx[100:200], gy[100:200], gp[100:200], gt[100:200], valid) + junk)
    # packet 3: events 200..299 after a timestamp overflow: stored timestamps are the full ones minus 2^31
    base = 2 ** 31
    packets += packet(1, 8, 1, 100, 100, polarity(gx[200:], gy[200:], gp[200:], (gt[200:] - gt[200] + 50).tolist(),
                                                  [1] * 100))
    with open(os.path.join(OUT, 'gesture', 'user01_led.aedat'), 'wb') as f:
        f.write(header + bytes(packets))
    start2 = base + 50
    with open(os.path.join(OUT, 'gesture', 'user01_led_labels.csv'), 'w') as f:
        f.write('class,startTime_usec,endTime_usec\n')
        f.write('%d,%d,%d\n' % (3, int(gt[10]), int(gt[150])))
        f.write('%d,%d,%d\n' % (11, int(gt[150]), start2 + 40))
        f.write('%d,%d,%d\n' % (1, start2 + 40, start2 + 10 ** 6))
    with open(os.path.join(OUT, 'gesture', 'trials_to_train.txt'), 'w') as f:
        f.write('user01_led.aedat\n')
    with open(os.path.join(OUT, 'gesture', 'trials_to_test.txt'), 'w') as f:
        f.write('\n')

    nx, ny, nt, npol = blob_events(rng, 250, 40, 30, 300)
    le = np.zeros(250, dtype=[('x', '<i2'), ('y', '<i2'), ('t', '<i8'), ('p', '?')])
    le['x'], le['y'], le['t'], le['p'] = nx, ny, nt, npol.astype(bool)
    np.save(os.path.join(OUT, 'events_le.npy'), le)
    be = np.zeros(250, dtype=[('t', '>u4'), ('p', '>i1'), ('y', '>u2'), ('x', '>i4')])
    be['x'], be['y'], be['t'], be['p'] = nx, ny, nt, npol
    np.save(os.path.join(OUT, 'events_be.npy'), be)


# ---------------------------------------------------------------------------------------------
# 2. Independent decoding

def read_nmnist(path):
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 5).astype(np.int64)
    ts = (raw[:, 2] & 0x7F) * 65536 + raw[:, 3] * 256 + raw[:, 4]
    is_marker = raw[:, 1] == 240
    ts = ts + np.cumsum(is_marker) * 2 ** 23
    keep = ~is_marker
    return raw[keep, 0], raw[keep, 1], ts[keep].astype(np.float64), raw[keep, 2] >> 7


def read_aedat3(path):
    data = open(path, 'rb').read()
    at = 0
    while data[at:at + 1] == b'#':
        end = data.index(b'\n', at)
        line = data[at:end].rstrip(b'\r')
        at = end + 1
        if line == b'#!END-HEADER':
            break
    xs, ys, ts, ps = [], [], [], []
    while at < len(data):
        etype, _src, size, _tsoff, overflow, capacity, number, _valid = struct.unpack_from('<hhiiiiii', data, at)
        body = at + 28
        if etype == 1:
            words = np.frombuffer(data, dtype='<u4', count=2 * number, offset=body).reshape(-1, 2)
            d = words[:, 0].astype(np.int64)
            stamp = words[:, 1].astype(np.int64)  # non-negative int32 here
            ok = (d & 1) == 1
            xs.append((d[ok] >> 17) & 0x7FFF)
            ys.append((d[ok] >> 2) & 0x7FFF)
            ps.append((d[ok] >> 1) & 1)
            ts.append(stamp[ok] + overflow * 2 ** 31)
        at = body + size * capacity
    return (np.concatenate(xs), np.concatenate(ys), np.concatenate(ts).astype(np.float64), np.concatenate(ps))


def read_npy(path):
    a = np.load(path)
    return (a['x'].astype(np.int64), a['y'].astype(np.int64), a['t'].astype(np.float64),
            (a['p'].astype(np.int64) > 0).astype(np.int64))


# ---------------------------------------------------------------------------------------------
# 3. Tonic semantics, re-derived: the frames of each slicing, by masks over the timestamps

def windows(t, opts):
    """[(start_index, end_index)] of each frame; events sorted by t."""
    n = len(t)
    overlap = opts.get('overlap', 0)
    incomplete = opts.get('includeIncomplete', False)
    idx = np.arange(n)
    if 'timeWindow' in opts:
        w = opts['timeWindow']
        stride = w - overlap
        q = ((t[-1] - t[0]) - w) / stride
        count = max(int(math.ceil(q) if incomplete else math.floor(q)) + 1, 1)
        out = []
        for i in range(count):
            lo = t[0] + i * stride
            inside = idx[(t >= lo) & (t < lo + w)]
            first = int(np.sum(t < lo))
            out.append((first, first + len(inside)))
        return out
    if 'eventCount' in opts:
        c = opts['eventCount']
        stride = c - overlap
        length = min(c, n)
        q = (n - length) / stride
        count = int(math.ceil(q) if incomplete else math.floor(q)) + 1
        return [(min(i * stride, n), min(i * stride + length, n)) for i in range(count)]
    if 'nTimeBins' in opts:
        bins = opts['nTimeBins']
        w = ((int(t[-1]) - int(t[0])) // bins) * (1 + overlap)
        stride = w * (1 - overlap)
        out = []
        for i in range(bins):
            lo = i * stride + t[0]
            first = int(np.sum(t < lo))
            out.append((first, int(np.sum(t < lo + w))))
        return out
    bins = opts['nEventBins']
    length = int((n // bins) * (1 + overlap))
    stride = int(length * (1 - overlap))
    return [(min(i * stride, n), min(i * stride + length, n)) for i in range(bins)]


def frames(ev, sensor, opts):
    x, y, t, p = ev
    width, height, pols = sensor
    spans = windows(t, opts)
    grid = np.zeros((len(spans), height, width, pols), dtype=np.int64)
    for f, (a, b) in enumerate(spans):
        for i in range(a, b):
            grid[f, y[i], x[i], 0 if pols == 1 else p[i]] += 1
    nz = np.argwhere(grid)
    return {'shape': list(grid.shape), 'counts': [[int(v) for v in c] + [int(grid[tuple(c)])] for c in nz]}


def denoise(ev, filter_time):
    x, y, t, p = ev
    width, height = int(x.max()) + 1, int(y.max()) + 1
    last = np.full((width, height), -np.inf)  # when each pixel last fired
    primed = np.ones((width, height), dtype=bool)  # never fired: Tonic's memory starts at filter_time
    keep = []
    for i in range(len(t)):
        xi, yi, ti = int(x[i]), int(y[i]), t[i]
        last[xi, yi] = ti
        primed[xi, yi] = False
        ok = False
        for nx, ny in ((xi - 1, yi), (xi + 1, yi), (xi, yi - 1), (xi, yi + 1)):
            if 0 <= nx < width and 0 <= ny < height:
                fresh = (ti < filter_time) if primed[nx, ny] else (ti - last[nx, ny] < filter_time)
                ok = ok or fresh
        if ok:
            keep.append(i)
    keep = np.array(keep, dtype=np.int64)
    return events_json((x[keep], y[keep], t[keep], p[keep]))


def downsample(ev, sensor, factor):
    x, y, t, p = ev
    out = (np.floor(x * factor).astype(np.int64), np.floor(y * factor).astype(np.int64), t, p)
    size = [int((sensor[0] - 1) * factor) + 1, int((sensor[1] - 1) * factor) + 1, sensor[2]]
    return {'events': events_json(out), 'sensorSize': size}


def events_json(ev):
    x, y, t, p = ev
    return {'x': [int(v) for v in x], 'y': [int(v) for v in y], 't': [float(v) for v in t], 'p': [int(v) for v in p]}


SLICINGS = [
    {'nTimeBins': 5},
    {'nTimeBins': 3, 'overlap': 0.5},
    {'timeWindow': 20000},
    {'timeWindow': 20000, 'overlap': 5000},
    {'timeWindow': 30000, 'overlap': 10000, 'includeIncomplete': True},
    {'eventCount': 64},
    {'eventCount': 64, 'overlap': 16, 'includeIncomplete': True},
    {'nEventBins': 4},
    {'nEventBins': 4, 'overlap': 0.25},
]


def main():
    write_fixtures()
    golden = {}
    sources = {
        'nmnist.bin': (read_nmnist(os.path.join(OUT, 'nmnist.bin')), [34, 34, 2]),
        'nmnist_overflow.bin': (read_nmnist(os.path.join(OUT, 'nmnist_overflow.bin')), [34, 34, 2]),
        'gesture/user01_led.aedat': (read_aedat3(os.path.join(OUT, 'gesture', 'user01_led.aedat')), [128, 128, 2]),
        'events_le.npy': (read_npy(os.path.join(OUT, 'events_le.npy')), [40, 30, 2]),
        'events_be.npy': (read_npy(os.path.join(OUT, 'events_be.npy')), [40, 30, 2]),
    }
    # The DVS Gesture samples: one per label line, the events with start <= t < end (classes 1-based in the CSV).
    gesture = sources['gesture/user01_led.aedat'][0]
    lines = open(os.path.join(OUT, 'gesture', 'user01_led_labels.csv')).read().split('\n')[1:]
    windows_json = []
    for k, line in enumerate(l for l in lines if l.strip()):
        cls, start, end = (int(v) for v in line.split(','))
        inside = (gesture[2] >= start) & (gesture[2] < end)
        windows_json.append({'label': cls - 1, 'count': int(inside.sum())})
        if k == 0:
            sources['gesture/user01_led.aedat#0'] = (tuple(a[inside] for a in gesture), [128, 128, 2])
    golden['gesture/labels'] = windows_json
    for name, (ev, sensor) in sources.items():
        entry = {'sensorSize': sensor, 'events': events_json(ev)}
        if len(ev[0]) > 50 and not name.endswith('.aedat'):
            entry['frames'] = [{'options': o, **frames(ev, sensor, o)} for o in SLICINGS]
            entry['framesOnePolarity'] = frames(ev, [sensor[0], sensor[1], 1], {'nTimeBins': 4})
            entry['denoise'] = {str(ft): denoise(ev, ft) for ft in (1000, 5000)}
            entry['downsample'] = {str(f): downsample(ev, sensor, f) for f in (0.5, 0.25)}
        golden[name] = entry
    with open(os.path.join(OUT, 'golden.json'), 'w') as f:
        json.dump(golden, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
