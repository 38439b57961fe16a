#!/usr/bin/env python3
"""Generates JSON documents (valid ones and mutated, often invalid ones) with python's own verdict on
each, for tests/json_python.rs: python's json module is the independent decoder rsrun's reader is
checked against.

usage: json_gen.py SEED COUNT OUTFILE
Record format, repeated: b"%d\n" % len(doc), doc, b"\n", then the verdict line: "ERROR" or python's
canonical form (sort_keys, ensure_ascii, numbers kept as their source text), then b"\n".
"""
import json, random, sys

def rand_string(r):
    alphabet = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\x01', '\x1f', '\x7f', 'é', '€', '😀',
                '\u2028', '<', '>', '&', '\ufffd', '\U0010ffff']
    return ''.join(r.choice(alphabet) for _ in range(r.randint(0, 8)))

def encode_string(r, s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        pick = r.random()
        if ch == '"' or ch == '\\' or c < 0x20 or pick < 0.3:
            if c > 0xffff:
                c -= 0x10000
                out.append('\\u%04x\\u%04X' % (0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff)))
            elif ch in '"\\/' and pick < 0.5:
                out.append('\\' + ch)
            elif ch in '\n\t\b\f\r' and pick < 0.5:
                out.append({'\n': '\\n', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\r': '\\r'}[ch])
            else:
                out.append('\\u%04x' % c if pick < 0.4 else '\\u%04X' % c)
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)

def rand_number(r):
    return r.choice(['0', '-0', '1', '-1', '18446744073709551615', '18446744073709551616',
                     '-9223372036854775808', '1.5', '-0.25e-3', '1E10', '2e+5', str(r.randint(-10**20, 10**20))])

def ws(r):
    return r.choice(['', '', ' ', '\n', '\t ', '\r\n'])

def rand_value(r, depth):
    k = r.randint(0, 7 if depth < 6 else 4)
    if k == 0: return 'null'
    if k == 1: return r.choice(['true', 'false'])
    if k in (2, 3): return rand_number(r)
    if k == 4: return encode_string(r, rand_string(r))
    if k == 5:
        items = [rand_value(r, depth + 1) for _ in range(r.randint(0, 4))]
        return '[' + ws(r) + (',' + ws(r)).join(items) + ws(r) + ']'
    keys = [rand_string(r) for _ in range(r.randint(0, 4))]
    if keys and r.random() < 0.3:
        keys.append(r.choice(keys))  # duplicate key: last wins
    members = [ws(r) + encode_string(r, key) + ws(r) + ':' + ws(r) + rand_value(r, depth + 1) for key in keys]
    return '{' + ','.join(members) + ws(r) + '}'

def mutate(r, doc):
    b = bytearray(doc)
    for _ in range(r.randint(1, 3)):
        op = r.randint(0, 3)
        pos = r.randint(0, len(b))
        if op == 0 and b: del b[min(pos, len(b) - 1)]
        elif op == 1: b[pos:pos] = r.choice([b'"', b'\\', b',', b'}', b']', b'[', b'{', b':', b'\xff', b'\x00', b'\\ud800', b'1', b'e', b'-', b' x'])
        elif op == 2 and b: b[min(pos, len(b) - 1)] = r.randint(0, 255)
        else: b = b[:pos]
    return bytes(b)

class Num:
    def __init__(self, s): self.s = s

def canon(v):
    if v is None: return 'null'
    if v is True: return 'true'
    if v is False: return 'false'
    if isinstance(v, Num): return v.s
    if isinstance(v, str):
        v.encode('utf-8')  # lone surrogates raise: rsrun rejects them, python alone accepts them
        return json.dumps(v, ensure_ascii=True)
    if isinstance(v, list): return '[' + ','.join(canon(x) for x in v) + ']'
    return '{' + ','.join(json.dumps(k, ensure_ascii=True) + ':' + canon(v[k]) for k in sorted(v)) + '}'

def check_keys(pairs):
    for k, _ in pairs:
        k.encode('utf-8')
    return dict(pairs)

def verdict(doc):
    try:
        text = doc.decode('utf-8')
        v = json.loads(text, parse_int=Num, parse_float=Num, object_pairs_hook=check_keys,
                       parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        return canon(v)
    except (ValueError, UnicodeError, RecursionError):
        return 'ERROR'

def main():
    seed, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    r = random.Random(seed)
    with open(path, 'wb') as f:
        for i in range(count):
            doc = (ws(r) + rand_value(r, 0) + ws(r)).encode('utf-8')
            if i % 3 == 2:
                doc = mutate(r, doc)
            f.write(b'%d\n' % len(doc) + doc + b'\n' + verdict(doc).encode('ascii') + b'\n')

main()
