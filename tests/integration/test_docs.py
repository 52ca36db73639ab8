"""test_docs - what the documentation lists is what the code has.

The policy bank keys are one X-macro list in the code (conf_bank_keys.h),
printed by `filterd -d`; policy-banks/README.md documents each in a table.
A key added to the code without its row, or a row for a key that is gone,
fails here."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def bank_keys_of_binary():
    """The keys `filterd -d` lists under "bank section keys"."""
    p = h.run([h.filterd_bin(), "-d"], timeout=20, check=True)
    out = p.stdout.decode()
    block = out.split("# bank section keys:", 1)[1]
    keys = []
    for line in block.splitlines()[1:]:
        if not line.startswith("    "):
            break
        m = re.match(r"^\s+#? ?(\w+)(?: \(no default\)| = .*)$", line)
        if m:
            keys.append(m.group(1))
    return keys


def bank_keys_of_readme():
    """The first column of the table under "## Keys"."""
    with open(os.path.join(h.REPO, "policy-banks", "README.md")) as f:
        text = f.read()
    section = text.split("## Keys", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", section, re.M)


class DocsTest(unittest.TestCase):

    def test_every_bank_key_is_documented(self):
        code = bank_keys_of_binary()
        readme = bank_keys_of_readme()
        self.assertGreater(len(code), 20, code)
        self.assertEqual(sorted(readme), sorted(code))


if __name__ == "__main__":
    unittest.main(verbosity=2)
