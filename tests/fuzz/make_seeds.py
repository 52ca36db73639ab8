#!/usr/bin/env python3
"""make_seeds.py [DIR] - (re)write the generated seeds of every harness.

Writes DIR/<target>/gen-<name> (DIR: tests/fuzz/corpus, the committed
corpora), each at most 64 KB: the TNEF, gzip, zip and embedded-file
forms below, and for the other targets messages, archives, DATA streams,
rule and configuration files built with the integration tests' own
builders (tests/integration: test_checks, test_banned_walk, ...), real
spamd replies, excerpts of /usr/share/spamassassin/*.cf and the
shipped configuration files. The committed seedNN files are hand-made
and not touched. Deterministic except where the builders use
os.urandom (corrupt archives): rerun only to add seeds.
"""
import gzip, io, os, struct, sys, zipfile, binascii, base64

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, 'corpus')
TARGET = {'tnef': 'fuzz_mime_tnef', 'gzname': 'fuzz_scan_gzname',
          'zipdir': 'fuzz_scan_zipdir', 'embedded': 'fuzz_mime_embedded'}
LIMIT = 64 * 1024

def put(h, name, data):
    if data is None or len(data) > LIMIT:
        return
    d = os.path.join(out, TARGET.get(h, h))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'gen-' + name), 'wb') as f:
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


# --- The targets added for issue 12 -------------------------------------
sys.path.insert(0, os.path.join(SRC, 'tests', 'integration'))
os.environ.setdefault('FILTERD_BIN', '/bin/true')
import test_checks as tc  # noqa: E402
import test_checks_unchecked as tu  # noqa: E402
import test_banned_walk as bw  # noqa: E402
import test_attack18 as a18  # noqa: E402
import test_attack_content as ac  # noqa: E402
import test_checks_archives as ca  # noqa: E402

msgs = {
    'plain': tc.message(b'hello\r\n', 'plain'),
    'gtube': tc.message(tc.GTUBE + b'\r\n', 'gtube'),
    'attachment': tu.with_attachment('evil.exe', b'MZ' + bytes(60),
                                     b'application/octet-stream', 'att'),
    'ambiguous': tu.ambiguous(tu.PLAIN, tc.attachment('x.exe', b'MZ'),
                              'ambiguous'),
    'rfc822-b64': tc.message(tc.multipart([tu.PLAIN, bw.rfc822_base64(
        tc.message(tc.multipart([tc.attachment('in.bat', b'echo')]),
                   'inner'))]), 'outer'),
    'mixed': bw.mixed('deep.exe', bw.EXE),
    'uuencode': a18.text_message(b'see\r\n' + a18.uu_block(b'a.exe', b'MZ')
                                 + b'bye\r\n', 'uu'),
    'tnef': tc.message(tc.multipart([tc.attachment(
        'winmail.dat', a18.tnef(b'b.exe', b'MZ'),
        b'application/ms-tnef')]), 'tnef'),
    'many-parts': tu.many_parts(40, [], 'many'),
    'rfc2231': tc.message(tc.multipart([(
        b"Content-Type: application/octet-stream;\r\n name*1*=%2Eexe;\r\n"
        b" name*0*=utf-8''%E2%80%AEinvoice\r\n"
        b"Content-Disposition: attachment;\r\n"
        b" filename*=iso-8859-1'en'r%E9sum%E9.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n", tc.b64(b'MZ'))]), '2231'),
    'encoded-words': tc.message(
        b'body\r\n', 'ew', b'X-Mailer: Bulk Mailer 1\r\n'
        b'From: =?utf-8?q?Caf=C3=A9?= <a@example.com>\r\n'
        b'To: a@b, c@d, e@f, g@h\r\nSubject2: =?iso-8859-1?b?4eXp?=\r\n'),
    'qp-html': tc.message(tc.multipart([
        (b'Content-Type: text/html; charset=utf-8\r\n'
         b'Content-Transfer-Encoding: quoted-printable\r\n',
         b'<p>click here=20\r\n<script>x</script>=\r\nhttp://1.2.3.4/a</p>')
    ]), 'qp'),
    'padded-delimiter': (b'Subject: pad\r\nMIME-Version: 1.0\r\n'
                         b'Content-Type: multipart/mixed; boundary=b\r\n\r\n'
                         b'--b \t\r\nContent-Type: text/plain\r\n\r\nx\r\n'
                         b'--b--\r\n--b\r\nContent-Type: application/x-'
                         b'msdownload; name=e.exe\r\n\r\nMZ\r\n'),
    'nested': tc.message(tc.multipart([tc.multipart([
        tu.PLAIN, tc.attachment('z.zip', tc.zipped('q.scr', b'x'))],
        b'inner')], b'outer'), 'nested'),
    'no-header': b'\r\njust a body\r\n',
    'folded': (b'Subject: a\r\n very\r\n\tlong subject\r\n'
               b'Message-ID:\r\n <id@x>\r\n\r\nx\r\n'),
}
for k, m in msgs.items():
    put('fuzz_mime_walk', k, m)
    put('fuzz_rules_match', k, m)

members = [('docs/readme.txt', bw.TXT), ('docs/run.exe', bw.EXE)]
for k, f in bw.LAYOUTS.items():
    try:
        put('fuzz_banned', k.replace(' ', '-').replace('(', '')
            .replace(')', ''), f(members))
    except Exception as e:  # a tool missing or failing: no such seed
        print('skip %s: %s' % (k, e), file=sys.stderr)
put('fuzz_banned', 'zip-in-zip', tc.zipped('inner.zip',
                                           tc.zipped('a.exe', b'MZ')))
put('fuzz_banned', 'zip-two-names', a18.zip_two_names(b'a.txt', b'a.exe',
                                                      b'MZ'))
put('fuzz_banned', 'zip-hidden', bw.zip_hidden('ok.txt', 'hid.exe'))
put('fuzz_banned', 'zip-raw-name', bw.zip_raw_name(b'r\xe9sum\xe9.exe', b'x'))
put('fuzz_banned', 'zip-unicode-path', ac.zip_unicode_path('a.txt',
                                                           'a.exe'))
put('fuzz_banned', 'zip-encrypted', ca.encrypted_zip([('s.exe', b'MZ')]))
put('fuzz_banned', 'zip-corrupt', ca.corrupt_zip()[:4096])
put('fuzz_banned', 'zip-truncated', ca.truncated_zip()[:4096])
put('fuzz_banned', 'eml-in-zip', tc.zipped('fwd.eml', msgs['attachment']))
put('fuzz_banned', 'tnef-in-zip', tc.zipped('winmail.dat',
                                            a18.tnef(b'c.exe', b'MZ')))
put('fuzz_banned', 'gz-named', gz('evil.exe'))
put('fuzz_banned', 'double-ext', tc.zipped('invoice.pdf.exe', b'%PDF'))

data = {
    'simple': b'Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n',
    'stuffed': b'..x\r\n...\r\n.\r\n',
    'empty': b'.\r\n',
    'bare-lf-smuggle': b'a\n.\nMAIL FROM:<x@y>\r\n.\r\n',
    'cr-dot-lf': b'a\r\n.\nb\r\n.\r\n',
    'lf-dot-crlf': b'a\n.\r\nb\r\n.\r\n',
    'bare-cr': b'a\rb\r\r\n\r.\r\n.\r\n',
    'nul-8bit': b'a\0b\xff\xfe\r\n.\r\n',
    'long-line': b'x' * 5000 + b'\r\n.\r\n',
    'no-end': b'a\r\nb\r\n',
    'pipelined': b'x\r\n.\r\nRSET\r\nMAIL FROM:<a@b>\r\n',
}
for k, v in data.items():
    for seed in (1, 7, 200):
        put('fuzz_smtp_data', '%s-%d' % (k, seed), bytes([seed]) + v)

replies = [
    b'SPAMD/1.1 0 EX_OK\r\nContent-length: 43\r\nSpam: True ; 15.2 / 5.0'
    b'\r\n\r\nBAYES_99,HTML_MESSAGE,URIBL_BLACK,DKIM_SIGNED',
    b'SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: False ; -1.9 / 5.0'
    b'\r\n\r\n',
    b'SPAMD/1.0 0 EX_OK\r\nContent-length: 3\r\nSpam: Yes ; 6 / 5\r\n\r\nA,B',
    b'SPAMD/1.1 0 EX_OK\nContent-length: 3\nSpam: True ; 7.0 / 5.0\n\nA,B',
    b'SPAMD/1.1 0 EX_OK\r\nSpam: True ; 7.0 / 5.0\r\n\r\nA,B\r\n',
    b'SPAMD/1.1 76 Bad header line: (Content-length mismatch: 7 vs. 5)\r\n',
    b'SPAMD/1.1 0 EX_OK\r\nContent-length: 1\r\nX-Spam-Flag: YES\r\n'
    b'Spam: True ; 1e308 / 5\r\n\r\nX',
]
for i, r in enumerate(replies):
    put('fuzz_spamd_reply', 'reply%d' % i, r)

dsns = [b'mysql://filterd:secret@127.0.0.1:3306/filterd',
        b'mysql://filterd@localhost/filterd',
        b'MySQL://u%40x:p%2Fw@[::1]:3307/db_1',
        b'mysql://filterd:pw@unix(/run/mysqld/mysqld.sock)/filterd',
        b'mysql://a:b@host.example.org/x$y-z',
        b'mysql://:@h/d', b'mysql://u:p@[::1/d', b'mysql://u@h:99999/d']
for i, d in enumerate(dsns):
    put('fuzz_dsn', 'dsn%d' % i, d)

def sa_excerpts():
    """Small slices of the stock rule files (header, body, meta, ...)."""
    d = '/usr/share/spamassassin'
    picks = ['20_head_tests.cf', '20_body_tests.cf', '20_uri_tests.cf',
             '20_meta_tests.cf', '50_scores.cf', '20_drugs.cf',
             '10_hasbase.cf', '20_advance_fee.cf', '25_uribl.cf',
             '20_html_tests.cf', '20_phrases.cf', '72_active.cf']
    for f in picks:
        path = os.path.join(d, f)
        if not os.path.exists(path):
            continue
        with open(path, 'rb') as fp:
            text = fp.read()
        # The first rules of the file, whole lines, about 6 KB.
        cut = text.find(b'\n', 6000)
        yield f, text[:cut + 1] if cut > 0 else text

for f, t in sa_excerpts():
    put('fuzz_rules_file', f.replace('.cf', ''), t)
with open(os.path.join(SRC, 'tests/unit/data/sa-sample.cf'), 'rb') as fp:
    put('fuzz_rules_file', 'sa-sample', fp.read())
put('fuzz_rules_file', 'forms', b'ifplugin Mail::SpamAssassin::Plugin::X\n'
    b'body A /x/\nendif\nheader B Subject =~ m{a(b)c}i [if-unset: q]\n'
    b'meta C (A || B) && !(D > 1) * 2\nmeta D C\nscore B 1 2 3 4\n'
    b'full E m!^From:!m\nuri F m<^https?://>\nrawbody G /\\#x/x\n')

for f in ['contrib/filterd.conf'] + ['policy-banks/' + b for b in
                                     sorted(os.listdir(
                                         os.path.join(SRC, 'policy-banks')))
                                     if b.endswith('.conf')]:
    with open(os.path.join(SRC, f), 'rb') as fp:
        text = fp.read()
    # The include of the shipped banks cannot be followed from a memfd.
    put('fuzz_conf', os.path.basename(f).replace('.conf', ''),
        text.replace(b'include("../policy-banks/default.conf")', b''))
put('fuzz_conf', 'listen-sql', b'listen "127.0.0.1:10024" { protocol = lmtp '
    b'bank = "B" }\nbank B { forward = {"[::1]:10025"} originating = true }'
    b'\nsql { dsn = "mysql://f:p@127.0.0.1/f" }\nmin_servers = 2\n'
    b'max_servers = 4 /* c */ // d\n# e\n')
