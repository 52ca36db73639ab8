#!/usr/bin/env python3
"""check_sql - SQL text in filterd/ is never built from data.

Every statement filterd and its tools send is either a prepared statement
(values bound as parameters, "?" in the text) or one of a named list of
fixed statements. This check reads every C file under filterd/ and fails
when:

  1. a call of mysql_query, mysql_real_query, mysql_send_query (or of
     sql_do, filterd-sql's wrapper around mysql_real_query) takes a
     statement that is not a string literal, not a "static const char
     NAME[] = "...";" of the same file, and not on ALLOWED below with
     the reason it holds no data;
  2. a printf-style call whose format holds SQL (SELECT, INSERT, UPDATE,
     DELETE, ALTER, TRUNCATE, FROM, WHERE, VALUES, PARTITION) fills a %s
     with anything but the fixed names of ALLOWED_FMT_ARGS (numbers, %d,
     are harmless).

Run: python3 tests/static/check_sql.py [SOURCE_ROOT]; the self-test
(SelfTest) feeds it a statement built from a subject and sees it caught.
"""

import os
import re
import sys
import unittest

ROOT = os.environ.get("FILTERD_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Functions that send SQL text as it is: name -> index of the statement.
SENDERS = {"mysql_query": 1, "mysql_real_query": 1, "mysql_send_query": 1,
           "sql_do": 1}

# (file, function, statement expression): why it holds no data.
ALLOWED = {
    ("filterd/tools/sql.c", "sql_do", "query"):
        "the wrapper itself: its callers are checked",
    ("filterd/tools/sql.c", "sql_partitions", "q.data"):
        "ALTER TABLE <sql_tables[t]> ADD PARTITION (PARTITION pNN VALUES "
        "IN (N)...): table names from a fixed array, weeks are ints",
    ("filterd/tools/sql.c", "sql_rotate", "q.data"):
        "ALTER TABLE <sql_tables[t]> TRUNCATE PARTITION pNN,...: fixed "
        "table names, weeks are ints",
    ("filterd/tools/sql.c", "sql_migrate", "text"):
        "a migration of sql/migrations, compiled in (sql_embed.cmake)",
}

# printf arguments that may fill a %s of an SQL format: fixed names.
ALLOWED_FMT_ARGS = {
    "sql_tables[t]": "a table name of the fixed array sql_tables",
    "sep": "\"\" or \", \"",
    "table": "sql_has_rows(): its callers pass sql_tables[t]",
    "names.data": "\"pNN,pNN...\" from ints (sql_rotate)",
    "ident": "an identifier quoted by sql_ident() (` doubled)",
}

PRINTF = ("snprintf", "buf_printf", "pool_printf", "sprintf", "asprintf",
          "xasprintf")
SQL_WORD = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|ALTER|TRUNCATE|"
                      r"FROM|WHERE|VALUES|PARTITION)\b")
LITERAL = re.compile(r'^(\s*"(?:[^"\\]|\\.)*"\s*)+$')
FUNC_START = re.compile(r"^([A-Za-z_]\w*)\(", re.M)


def strip_comments(text):
    """strip_comments - comments blanked, line numbers kept."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r"/\*.*?\*/|//[^\n]*", blank, text, flags=re.S)


def call_args(text, open_paren):
    """call_args - the top-level arguments of the call whose "(" is at
    open_paren, as stripped strings."""
    depth, args, cur, i, s = 0, [], [], open_paren, None
    while i < len(text):
        ch = text[i]
        if s:
            cur.append(ch)
            if ch == "\\":
                cur.append(text[i + 1])
                i += 1
            elif ch == s:
                s = None
        elif ch in "\"'":
            s = ch
            cur.append(ch)
        elif ch == "(":
            depth += 1
            if depth > 1:
                cur.append(ch)
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args
            cur.append(ch)
        elif ch == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    return args


def function_at(text, pos):
    """function_at - the function whose definition holds pos (house
    style: the name starts a line)."""
    name = None
    for m in FUNC_START.finditer(text, 0, pos):
        name = m.group(1)
    return name


def fixed_names(text):
    """fixed_names - NAME of each static const char NAME[] = "...";"""
    return set(re.findall(
        r'static\s+const\s+char\s+(\w+)\s*\[\s*\]\s*=\s*(?:"(?:[^"\\]|\\.)*"'
        r'\s*)+;', text))


def check_text(rel, text):
    """check_text - the violations in one file, as strings."""
    text = strip_comments(text)
    fixed = fixed_names(text)
    out = []
    for name, idx in SENDERS.items():
        for m in re.finditer(r"\b%s\s*\(" % name, text):
            if m.start() == 0 or text[m.start() - 1] == "\n":
                continue            # the definition of a wrapper
            func = function_at(text, m.start())
            args = call_args(text, m.end() - 1)
            if len(args) <= idx:
                continue
            stmt = args[idx]
            if LITERAL.match(stmt) or stmt in fixed or \
                    (rel, func, stmt) in ALLOWED:
                continue
            line = text.count("\n", 0, m.start()) + 1
            out.append("%s:%d: %s() in %s() sends %r, built at run time "
                       "and not on ALLOWED" % (rel, line, name, func, stmt))
    for name in PRINTF:
        for m in re.finditer(r"\b%s\s*\(" % name, text):
            args = call_args(text, m.end() - 1)
            for k, a in enumerate(args):
                if a.startswith('"'):
                    fmt, rest = a, args[k + 1:]
                    break
            else:
                continue
            if not SQL_WORD.search(fmt):
                continue
            convs = re.findall(r"%[-+ #0-9.*]*(?:hh|h|ll|l|z|j|t)?([a-zA-Z%])",
                               fmt)
            convs = [c for c in convs if c != "%"]
            for conv, arg in zip(convs, rest):
                if conv == "s" and arg not in ALLOWED_FMT_ARGS:
                    line = text.count("\n", 0, m.start()) + 1
                    out.append("%s:%d: SQL format %s fills %%s with %r, "
                               "not a fixed name of ALLOWED_FMT_ARGS" %
                               (rel, line, fmt, arg))
    return out


def check_tree(root):
    out = []
    for d, _, files in os.walk(os.path.join(root, "filterd")):
        for f in sorted(files):
            if f.endswith(".c"):
                path = os.path.join(d, f)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    out += check_text(os.path.relpath(path, root), fh.read())
    return out


class TreeTest(unittest.TestCase):

    def test_no_sql_text_from_data(self):
        self.assertEqual(check_tree(ROOT), [])

    def test_every_allowed_entry_is_used(self):
        """A stale entry would hide a new call of the same name."""
        for (rel, func, stmt) in ALLOWED:
            with open(os.path.join(ROOT, rel)) as fh:
                text = strip_comments(fh.read())
            self.assertIn(stmt, text, (rel, func))
            self.assertRegex(text, r"(?m)^%s\(" % func, (rel, func))


class SelfTest(unittest.TestCase):
    """The check catches what it is there for."""

    def test_statement_built_from_a_subject_is_caught(self):
        bad = ('static int\nsave(MYSQL *c, const struct txn *t)\n{\n'
               '\tchar q[512];\n\n\tsnprintf(q, sizeof(q), "INSERT INTO '
               'msgs (subject) VALUES (\'%s\')", t->subject);\n'
               '\treturn mysql_real_query(c, q, strlen(q));\n}\n')
        got = check_text("filterd/x.c", bad)
        self.assertEqual(len(got), 2, got)
        self.assertIn("mysql_real_query() in save() sends 'q'", got[0])
        self.assertIn("fills %s with 't->subject'", got[1])

    def test_fixed_statements_pass(self):
        good = ('static const char set[] = "SET NAMES utf8mb4";\n'
                'static int\nf(MYSQL *c)\n{\n'
                '\tif (mysql_query(c, "SELECT 1") != 0)\n\t\treturn -1;\n'
                '\treturn mysql_real_query(c, set, sizeof(set) - 1);\n}\n')
        self.assertEqual(check_text("filterd/y.c", good), [])

    def test_wrapper_call_is_checked(self):
        bad = ('static int\ng(MYSQL *c, const char *name)\n{\n'
               '\treturn sql_do(c, name, NULL, 0);\n}\n')
        got = check_text("filterd/z.c", bad)
        self.assertEqual(len(got), 1, got)
        self.assertIn("sql_do() in g() sends 'name'", got[0])


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        ROOT = sys.argv.pop(1)
    unittest.main()
