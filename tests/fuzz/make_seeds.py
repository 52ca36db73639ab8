#!/usr/bin/env python3
"""make_seeds.py DIR - write a few valid inputs for each harness under DIR/<harness>/."""
import gzip, io, os, struct, sys, zipfile, binascii, base64

out = sys.argv[1]

def put(h, name, data):
    d = os.path.join(out, h)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

def attr(level, aid, v):
    return bytes([level]) + struct.pack('<II', aid, len(v)) + v + struct.pack('<H', sum(v) & 0xffff)

def tnef(files):
    s = struct.pack('<I', 0x223E9F78) + b'\x01\x01' + attr(1, 0x00089006, b'\0\0\1\0')
    for title, lname, data in files:
        s += attr(2, 0x00069002, bytes([1, 0, 0xff, 0xff, 0xff, 0xff]) + bytes(8))
        s += attr(2, 0x00018010, title + b'\0')
        s += attr(2, 0x0006800F, data)
        if lname:
            n = len(lname) + 1
            p = struct.pack('<IIII', 1, 0x3707 << 16 | 0x001E, 1, n) + lname + b'\0' + bytes((4 - n % 4) % 4)
            s += attr(2, 0x00069005, p)
    return s

put('tnef', 'one', tnef([(b'EVIL~1.EXE', b'evil.exe', b'MZ hello')]))
put('tnef', 'two', tnef([(b'a.txt', None, b'x' * 100), (b'b.doc', b'long name.doc', b'yy')]))

def gz(name):
    b = io.BytesIO()
    with gzip.GzipFile(filename=name, mode='wb', fileobj=b, mtime=0) as g:
        g.write(b'hello')
    return b.getvalue()

put('gzname', 'named', gz('evil.exe'))
put('gzname', 'extra', b'\x1f\x8b\x08\x0c' + bytes(6) + b'\x04\x00abcd' + b'x.exe\0' + b'\x03\0')

def zp(names, comment=b''):
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w') as z:
        for n in names:
            z.writestr(n, b'data ' + n.encode())
        z.comment = comment
    return b.getvalue()

put('zipdir', 'plain', zp(['a.txt', 'dir/', 'dir/evil.exe']))
put('zipdir', 'unicode', zp(['r\u00e9sum\u00e9.txt', '\u00e9vil.exe'], b'comment'))
def zp64():
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', allowZip64=True) as z:
        with z.open('big.exe', 'w', force_zip64=True) as f:
            f.write(b'MZ zip64')
        z.writestr(zipfile.ZipInfo('u.txt'), b'x')
    b = b.getvalue()
    # An end record that defers to a zip64 end record and its locator.
    e = b.rindex(b'PK\5\6')
    n, cdsize, cdoff = struct.unpack('<HII', b[e + 10:e + 20])
    z64 = struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, n, n,
                      cdsize, cdoff)
    loc = struct.pack('<IIQI', 0x07064b50, 0, e, 1)
    end = struct.pack('<IHHHHIIH', 0x06054b50, 0xffff, 0xffff, 0xffff,
                      0xffff, 0xffffffff, 0xffffffff, 0)
    return b[:e] + z64 + loc + end

put('zipdir', 'zip64', zp64())
put('zipdir', 'sfx', b'MZ' + bytes(100) + zp(['x.bat']))

bh_alpha = b'!"#$%&\'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr'
def binhex(name, data):
    hdr = bytes([len(name)]) + name + b'\0' + b'TEXTttxt' + b'\0\0' + struct.pack('>II', len(data), 0) + b'\0\0'
    raw = hdr + data + b'\0\0'
    bits, n, enc = 0, 0, b''
    for c in raw:
        bits = bits << 8 | c; n += 8
        while n >= 6:
            n -= 6; enc += bh_alpha[(bits >> n) & 63:((bits >> n) & 63) + 1]
    if n:
        enc += bh_alpha[(bits << (6 - n)) & 63:((bits << (6 - n)) & 63) + 1]
    return b'(This file must be converted with BinHex 4.0)\r\n:' + enc + b':\r\n'

uu = b'begin 644 evil.exe\n' + binascii.b2a_uu(b'MZ hello world') + b'`\nend\n'
put('embedded', 'uu', b'\x10' + b'Hi,\n\n' + uu + b'bye\n')
put('embedded', 'b64', b'\x07' + b'text\r\nbegin-base64 644 a.bat\r\n' + base64.b64encode(b'echo hi') + b'\r\n====\r\n')
put('embedded', 'yenc', b'\x30' + b'=ybegin line=128 size=5 name=y.exe\r\n' + bytes((c + 42) & 255 for c in b'hello') + b'\r\n=yend size=5\r\n')
put('embedded', 'binhex', b'\xff' + binhex(b'b.exe', b'MZ binhex'))
