"""test_sql_fetch - a policy value is read whole from a real MariaDB.

db_select() read each column into a 256-byte buffer and cut longer values
without a word (MYSQL_DATA_TRUNCATED was taken as a row like any other).
amavis' policy.spam_subject_tag2 is varchar(64): 64 characters of utf8mb4
are up to 256 bytes. A tag of 64 four-byte characters must reach the
Subject whole, not cut inside its last character.

(A fetch error, the other half of the defect, cannot be provoked from a
real server once the result is stored on the client: tests/unit/test_db.c
covers it with --wrap.)"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_checks import message  # noqa: E402
from test_sql import q, start_sink_and_db  # noqa: E402

TAG = "\U0001F600" * 64  # 64 characters, 256 bytes in UTF-8


class SqlFetchTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_sink_and_db(cls, """
          INSERT INTO policy (id, policy_name, spam_tag2_level,
                              spam_kill_level, spam_subject_tag2)
            VALUES (4, 'long tag', -999, 1000, '%s');
          INSERT INTO users (id, priority, policy_id, email) VALUES
            (12, 9, 4, 'tagged@example.net');
          COMMIT;""" % TAG)
        rows = q(cls.db, "SELECT LENGTH(spam_subject_tag2) FROM policy "
                 "WHERE id = 4")
        assert rows == [["256"]], rows
        cls.fd = h.Filterd(
            cls.tmp, "fd", local_domains=["example.net"],
            banks={"default": {"forward": [cls.sink.addr],
                               "spam_tag_level": -999.0}},
            raw='sql { lookup = {"%s"} }' % cls.db.dsn())
        cls.start_for_class(cls.fd)

    def test_long_subject_tag_is_whole(self):
        r = h.send_message(self.fd.port, "someone@example.org",
                           ["tagged@example.net"],
                           message(b"hello\r\n", "long tag"), timeout=30)
        self.assertEqual(r.code, 250, r)
        self.assertTrue(self.sink.wait_count(1, 10))
        body = self.sink.dumps()[0].body
        subject = [l for l in body.split(b"\n")
                   if l.lower().startswith(b"subject:")]
        self.assertEqual(len(subject), 1, body[:2000])
        self.assertEqual(subject[0], b"Subject: " + TAG.encode() +
                         b"long tag", subject[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
