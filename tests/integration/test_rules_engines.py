"""test_rules_engines - Vectorscan's rule hits are exactly PCRE2's.

filterd matches its spam rules with Vectorscan, one pass per text, and
PCRE2 where Vectorscan cannot take a pattern as written (rules.h, ENGINE).
The answer must be what PCRE2 alone gives, for every rule of every rule
set and every message. rules_diff (built next to filterd) loads rule files
with both engines and compares every rule's hit, scored or not, and the
score; this test feeds it SpamAssassin's own rule files
(/usr/share/spamassassin, package spamd), the benchmark's rules and the
unit tests' sample file, over a corpus made here: the benchmark's
messages, SpamAssassin's sample spam and ham, the messages the integration
tests send, messages crafted from the rules' own words so that many rules
hit (and many nearly do), and hostile ones (NUL, invalid UTF-8, a 200 KB
line, 5,000 header fields, CR line ends, random bytes).

A build without Vectorscan (WITH_VECTORSCAN=OFF) has one engine: the
comparisons above are skipped there, saying so. test_builds_agree runs
when RULES_DIFF_OTHER names the rules_diff of the other build (ctest's
build_without_vectorscan gives it): every rule's hits and the score of
every input must be the same in the build without Vectorscan as in the
build with it.
"""

import ast
import glob
import importlib.machinery
import importlib.util
import os
import random
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SA_RULES = sorted(glob.glob("/usr/share/spamassassin/*.cf"))
SA_SAMPLES = sorted(glob.glob(
    "/usr/share/doc/spamassassin/examples/sample-*.txt"))
BENCH = os.path.join(h.REPO, "tests", "bench", "run")
SAMPLE_CF = os.path.join(h.REPO, "tests", "unit", "data", "sa-sample.cf")


def rules_diff_bin():
    """rules_diff_bin - the comparison tool next to filterd."""
    path = os.environ.get("RULES_DIFF_BIN") or os.path.join(
        os.path.dirname(h.filterd_bin()), "rules_diff")
    if not os.access(path, os.X_OK):
        raise RuntimeError("rules_diff not found: %s (set RULES_DIFF_BIN)"
                           % path)
    return path


def load_bench():
    """load_bench - tests/bench/run as a module (its main() is not run)."""
    loader = importlib.machinery.SourceFileLoader("filterd_bench", BENCH)
    spec = importlib.util.spec_from_loader("filterd_bench", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def test_messages():
    """test_messages - the message texts in the integration tests' code:
    string constants that start with a header field and hold a blank
    line."""
    out = []
    head = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:")
    for path in sorted(glob.glob(os.path.join(h.HERE, "test_*.py"))):
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant):
                continue
            v = node.value
            if isinstance(v, str):
                v = v.encode("utf-8", "surrogateescape")
            if not isinstance(v, bytes) or not head.match(
                    v[:80].decode("latin-1")):
                continue
            if b"\n\n" in v or b"\r\n\r\n" in v:
                out.append(v)
    return out


WORD_RE = re.compile(r"(?<![\\])\b[A-Za-z][A-Za-z ]{3,}[A-Za-z]")


def rule_words(paths):
    """rule_words - literal word runs of each rule's regex, by kind
    ("header Field", "body", "uri", ...)."""
    out = []
    rule = re.compile(r"^\s*(header|body|rawbody|full|uri)\s+(\S+)\s+(.*)$")
    for path in paths:
        with open(path, encoding="latin-1") as f:
            for line in f:
                m = rule.match(line)
                if not m:
                    continue
                kind, rest = m.group(1), m.group(3)
                field = None
                if kind == "header":
                    field = rest.split()[0].split(":")[0] if rest else None
                    if not field or field.startswith(("exists", "eval")):
                        continue
                if rest.startswith("eval:"):
                    continue
                words = [w for w in WORD_RE.findall(rest)
                         if not w.startswith(("x", "s "))]
                if words:
                    out.append((kind, field, words))
    return out


try:
    import re._parser as sre_parse  # Python >= 3.11
    import re._constants as sre_c
except ImportError:  # pragma: no cover
    import sre_parse
    import sre_constants as sre_c

REGEX_RE = re.compile(r"(?:[=!]~\s*)?m?([/{(\[<!#|,])(.*)[/})\]>!#|,]([a-z]*)"
                      r"\s*(?:\[if-unset:.*)?$")
CATEGORY_CHARS = {
    sre_c.CATEGORY_DIGIT: "0123456789",
    sre_c.CATEGORY_NOT_DIGIT: "aZ-.",
    sre_c.CATEGORY_SPACE: " \t",
    sre_c.CATEGORY_NOT_SPACE: "aZ9.-",
    sre_c.CATEGORY_WORD: "azAZ09_",
    sre_c.CATEGORY_NOT_WORD: " .-/@",
}


def sample(pattern, r, budget=2000):
    """sample - a string the regex (Python's reading of it) matches, or
    None; look-arounds are left out, so some samples only nearly match."""
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    groups = {}
    out = []

    def cls(items):
        neg = any(op == sre_c.NEGATE for op, _ in items)
        pool = set()
        for op, av in items:
            if op == sre_c.LITERAL:
                pool.add(chr(av))
            elif op == sre_c.RANGE:
                pool.update(chr(c) for c in range(av[0], min(av[1], av[0] + 30)
                                                  + 1))
            elif op == sre_c.CATEGORY:
                pool.update(CATEGORY_CHARS.get(av, "a"))
        if neg:
            pool = set("aeiouxyzAEZ019 .-_@/") - pool
        return r.choice(sorted(pool)) if pool else "a"

    def gen(seq):
        for op, av in seq:
            if len(out) > budget:
                return
            if op == sre_c.LITERAL:
                out.append(chr(av))
            elif op == sre_c.NOT_LITERAL:
                out.append("a" if av != ord("a") else "b")
            elif op == sre_c.ANY:
                out.append(r.choice("ab1 ."))
            elif op == sre_c.IN:
                out.append(cls(av))
            elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT) or \
                    op.name == "POSSESSIVE_REPEAT":
                lo, hi, sub = av
                hi = lo + 3 if hi == sre_c.MAXREPEAT else min(hi, lo + 3)
                for _ in range(r.randint(lo, max(lo, hi))):
                    gen(sub)
            elif op == sre_c.SUBPATTERN:
                start = len(out)
                gen(av[-1])
                if av[0] is not None:
                    groups[av[0]] = "".join(out[start:])
            elif op.name == "ATOMIC_GROUP":
                gen(av)
            elif op == sre_c.BRANCH:
                gen(r.choice(av[1]))
            elif op == sre_c.GROUPREF:
                out.append(groups.get(av, ""))
            elif op == sre_c.CATEGORY:
                out.append(r.choice(CATEGORY_CHARS.get(av, "a")))
            # AT (anchors), ASSERT, ASSERT_NOT: nothing to write

    try:
        gen(tree)
    except (RecursionError, ValueError, TypeError, AttributeError):
        return None
    return "".join(out)


def rule_samples(paths, seed=17):
    """rule_samples - (kind, field, text) with a string made from each
    rule's regex, so that the rule (or one that shares its words) hits."""
    r = random.Random(seed)
    out = []
    rule = re.compile(r"^\s*(header|body|rawbody|full|uri)\s+(\S+)\s+(.*)$")
    for path in paths:
        with open(path, encoding="latin-1") as f:
            for line in f:
                m = rule.match(line.rstrip("\n"))
                if not m or m.group(3).startswith("eval:"):
                    continue
                kind, rest, field = m.group(1), m.group(3), None
                if kind == "header":
                    parts = rest.split(None, 1)
                    if len(parts) < 2 or parts[0].startswith("exists:"):
                        continue
                    field, rest = parts[0].split(":")[0], parts[1]
                rx = REGEX_RE.match(rest)
                if not rx:
                    continue
                text = sample(rx.group(2), r)
                if text:
                    out.append((kind, field, text))
    return out


def sampled(paths, per_msg=30, seed=18):
    """sampled - messages carrying rule_samples() where each rule reads."""
    r = random.Random(seed)
    items = rule_samples(paths)
    r.shuffle(items)
    msgs = []
    for i in range(0, len(items), per_msg):
        hdrs, extra, body = {"Subject": "sampled %d" % i}, [], []
        for kind, field, text in items[i:i + per_msg]:
            one = text.replace("\r", " ").replace("\n", " ")
            if kind == "header" and field in ("ALL", "ToCc"):
                extra.append(one if re.match(r"^[\w-]+:", one)
                             else "X-Sampled: " + one)
            elif kind == "header":
                hdrs[field] = one
            elif kind == "uri":
                body.append(one if re.match(r"(?i)(https?://|www\.)", one)
                            else "http://" + one)
            else:
                body.append(text)
        msgs.append(("".join("%s: %s\n" % kv for kv in hdrs.items()) +
                     "".join(x + "\n" for x in extra) + "\n" +
                     "\n".join(body) + "\n").encode("latin-1", "replace"))
    return msgs


def crafted(paths, per_msg=40, seed=16):
    """crafted - messages built from the rules' own words: each carries
    the literal parts of per_msg rules in the fields, body and links they
    read, so that many rules hit and many more nearly match."""
    r = random.Random(seed)
    items = rule_words(paths)
    r.shuffle(items)
    msgs = []
    for i in range(0, len(items), per_msg):
        hdrs = {"From": "Dear Friend <winner%d@example.com>" % i,
                "To": "undisclosed-recipients:;",
                "Subject": "URGENT BUSINESS PROPOSAL!!!",
                "Message-ID": "<%x@example.net>" % r.getrandbits(96)}
        body, links = [], []
        for kind, field, words in items[i:i + per_msg]:
            text = " ".join(words)
            if kind == "header" and field not in ("ALL", "ToCc"):
                hdrs[field] = (hdrs.get(field, "") + " " + text).strip()
            elif kind == "uri":
                links.append("http://%s.example.com/%s" % (
                    words[0].replace(" ", "-").lower(),
                    "/".join(w.replace(" ", "_") for w in words)))
            else:
                body.append(text if r.random() < 0.5 else text.upper())
        text = "\n".join(body + links)
        html = "<html><body><p>%s</p>%s</body></html>" % (
            "</p><p>".join(body),
            "".join('<a href="%s">click here</a>' % u for u in links))
        for b in (text, html):
            msgs.append(("".join("%s: %s\n" % kv for kv in hdrs.items()) +
                         "\n" + b + "\n").encode("latin-1", "replace"))
    return msgs


def spammy():
    """spammy - hand-written spam in the style SA's rules look for."""
    return [b"""From: "Mr. John Smith" <12345678@gmail.com>
To: undisclosed-recipients:;
Subject: CONGRATULATIONS YOU HAVE WON $1,000,000.00 USD!!!
Reply-To: claims.agent@yahoo.com
X-Mailer: Dark Mailer 3.1
Content-Type: text/html; charset="big5"

<html><body><font size=-2>Dear Beneficiary,</font>
Your email address was randomly selected as a winner of the international
lottery. Contact our claims agent with your full name, home address and
phone number. This is 100% guaranteed, no obligation, limited time offer!
Cheap V1AGRA and C1ALIS from our pharmacy online. Work from home and earn
$5000 a week. Click here to unsubscribe: http://bit.ly/xyz?email=a@b.com
<a href="http://192.168.0.1/login.php">https://www.paypal.com/verify</a>
Please verify your account password at http://secure-paypal.example.ru/
We are a China-based leading manufacturer of LED lights in Shenzhen.
next of kin of my late husband, 25 million us dollars, confidential business
</body></html>
""", b"""Subject: re: your account
From: security@bank.example
Date: Mon, 1 Jan 2024 00:00:00 +0000
X-PHP-Originating-Script: 1000:mailer.php
Received: from [10.0.0.1] (dsl-12.dynamic.example.net [10.0.0.1])

Dear Customer, your mailbox will be deactivated. Confirm your mailbox
quota by login below to retrieve your messages. Upgrade your mailbox.
=?utf-8?B?SGVsbG8=?= =3D=3D=3D FREE FREE FREE $$$ !!!
"""]


def hostile(seed=1616):
    """hostile - inputs that are no well-formed mail."""
    r = random.Random(seed)
    base = b"From: a@b.example\nSubject: x\n\n"
    return [
        b"",
        b"Subject: only headers, no body",
        base + b"nul\x00in\x00the\x00body viagra\x00\n",
        b"Subject: nul\x00in header\nFrom: \x00@x\n\nbody\n",
        base + b"invalid utf-8 \xc3\x28 \xa0\xa1 \xf0\x28\x8c\xbc \xff\xfe\n",
        b"Subject: \xe9t\xe9 \xc3\xa9t\xc3\xa9 \xff\n\n\xe0\xe1\xe2\n",
        base + b"A" * 200000 + b" click here\n",
        base + (b"free money " * 20000),
        b"".join(b"X-H%d: %s\n" % (i, b"v" * (i % 50)) for i in range(5000))
        + b"\nbody\n",
        b"Subject: " + b"S" * 70000 + b"\n\nbody\n",
        b"Received: from x\r\nSubject: crlf\r\n\r\nline one\r\nline two\r\n",
        b"Subject: cr\rFrom: x\r\rbody\rwith bare CR\r",
        b"To: " + b",".join(b"u%d@x.example" % i for i in range(400)) +
        b"\n\nmany recipients\n",
        base + b"\n".join(b"www.%d.example/%s" % (i, b"p" * i)
                          for i in range(300)) + b"\n",
        r.randbytes(20000),
        base + r.randbytes(20000),
        base + bytes(range(256)) * 8,
    ]


class TestRulesEngines(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="filterd-rules-")
        cls.dir = cls.tmp.name
        bench = load_bench()
        cls.bench_rules = bench_rules = os.path.join(cls.dir,
                                                     "bench-rules.cf")
        with open(cls.bench_rules, "w") as f:
            f.write(bench.SPAM_RULES)
        corpus = os.path.join(cls.dir, "corpus")
        os.mkdir(corpus)
        bench.build_corpus(corpus)
        n = 0
        for group, msgs in (("it", test_messages()),
                            ("spam", spammy()),
                            ("crafted", crafted(SA_RULES + [SAMPLE_CF])),
                            ("sampled", sampled(SA_RULES + [SAMPLE_CF,
                                                            bench_rules])),
                            ("hostile", hostile())):
            for m in msgs:
                n += 1
                with open(os.path.join(corpus, "%s-%04d.eml" % (group, n)),
                          "wb") as f:
                    f.write(m)
        cls.counts = {"it": len(test_messages())}
        cls.messages = sorted(glob.glob(os.path.join(corpus, "*"))) + \
            SA_SAMPLES

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def diff(self, rules):
        """diff - rules_diff over the corpus; its output."""
        h.need_vectorscan("the comparison of Vectorscan with PCRE2")
        p = subprocess.run([rules_diff_bin()] + rules + ["--"] +
                           self.messages, capture_output=True, text=True,
                           errors="replace", timeout=240)
        out = p.stdout
        self.assertEqual(p.returncode, 0,
                         "engines differ:\n%s\n%s" % (out[-4000:],
                                                      p.stderr[-2000:]))
        last = re.search(r"\n(\d+) inputs, \d+ rules, (\d+) hits of "
                         r"(\d+) rules: identical\n$", out)
        self.assertIsNotNone(last, out[-500:])
        self.assertEqual(int(last.group(1)), 2 * len(self.messages))
        m = re.match(r"paths: (\d+) exact, (\d+) prefilter, (\d+) pcre2, "
                     r"\d+ bytes, engine vectorscan\+pcre2\n", out)
        self.assertIsNotNone(m, out[:200])
        return tuple(int(x) for x in m.groups()) + (int(last.group(2)),
                                                    int(last.group(3)))

    def test_corpus(self):
        # The corpus has what the docstring says, or the test proves less.
        self.assertGreater(self.counts["it"], 20)
        self.assertGreater(len(self.messages), 80)

    def test_spamassassin_rules(self):
        self.assertTrue(SA_RULES, "SpamAssassin's rule files (package "
                        "spamd)")
        exact, pre, only, hits, distinct = self.diff(SA_RULES)
        # Most of SA's rules run on Vectorscan; some only prefiltered;
        # the corpus makes them hit thousands of times.
        self.assertGreater(exact, 900)
        self.assertGreater(pre, 50)
        self.assertGreater(hits, 5000)
        self.assertGreater(distinct, 800)

    def test_bench_rules(self):
        exact, pre, only, hits, distinct = self.diff(
            [self.bench_rules])
        self.assertGreater(exact, 30)
        self.assertGreater(hits, 100)
        self.assertGreater(distinct, 45)

    def test_sample_rules(self):
        exact, pre, only, hits, distinct = self.diff([SAMPLE_CF])
        self.assertGreater(exact, 5)
        self.assertGreater(hits, 20)
        self.assertGreater(distinct, 12)

    def hits(self, binary, rules, name):
        """hits - one build's rules_diff over the corpus: its engine and
        its RULES_DIFF_HITS lines (input, score, every rule hit)."""
        path = os.path.join(self.dir, name)
        env = dict(os.environ, RULES_DIFF_HITS=path)
        env.pop("RULES_DIFF_CACHE", None)
        p = subprocess.run([binary] + rules + ["--"] + self.messages,
                           capture_output=True, text=True, errors="replace",
                           timeout=240, env=env)
        self.assertEqual(p.returncode, 0, "%s: %s\n%s" % (
            binary, p.stdout[-2000:], p.stderr[-2000:]))
        m = re.match(r"paths: .*, engine (\S+)\n", p.stdout)
        self.assertIsNotNone(m, p.stdout[:200])
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 2 * len(self.messages))
        return m.group(1), lines

    def test_builds_agree(self):
        other = os.environ.get("RULES_DIFF_OTHER", "")
        if not other:
            self.skipTest("RULES_DIFF_OTHER names no other build's "
                          "rules_diff (ctest's build_without_vectorscan "
                          "gives it)")
        for name, rules in (("sa", SA_RULES),
                            ("small", [SAMPLE_CF, self.bench_rules])):
            mine, a = self.hits(rules_diff_bin(), rules, name + "-this")
            theirs, b = self.hits(other, rules, name + "-other")
            # One build with Vectorscan, one without: else this proves
            # nothing about the build without it.
            self.assertEqual(sorted([mine, theirs]),
                             ["pcre2", "vectorscan+pcre2"])
            diff = [(x, y) for x, y in zip(a, b) if x != y]
            self.assertEqual(len(diff), 0, "%s: %d of %d inputs differ "
                             "between the builds; the first:\n%s: %s\n"
                             "%s: %s" % (name, len(diff), len(a), mine,
                                         diff[0][0][:1500] if diff else "",
                                         theirs,
                                         diff[0][1][:1500] if diff else ""))
            # The corpus makes rules hit, or equal files prove little.
            n_hits = sum(len(x.split("\t")[2].split()) for x in a)
            self.assertGreater(n_hits, 5000 if name == "sa" else 100)


if __name__ == "__main__":
    unittest.main()
