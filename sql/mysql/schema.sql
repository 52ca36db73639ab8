-- filterd: the MariaDB/MySQL schema (the sum of migrations/*.sql).
--
-- Compatible with amavisd-new's (README.sql-mysql, 2.13), so quarantine
-- front ends written for amavisd-new (modoboa-amavis, mailzu, iRedAdmin)
-- work unchanged: same tables, columns, types, codes and keys; only the
-- storage tables are partitioned by week (see sql/README.md).
--
-- Idempotent: every statement may be run again. Create the database
-- first, then either
--     filterd-sql -d mysql://admin:pw@host/filterd init
-- or
--     mariadb filterd < schema.sql
-- Needs MariaDB >= 10.2 or MySQL >= 8.0.16 (InnoDB, utf8mb4, CHECK).

-- ---------------------------------------------------------------------
-- Lookup tables (read-only for filterd; not partitioned).
-- Per-recipient policy and white/blacklists, as amavisd-new's
-- @lookup_sql_dsn reads them (README.lookups, README.sql-mysql).
-- ---------------------------------------------------------------------

-- policy: one row per policy. Every column but id is optional: NULL means
-- "not set here, continue with the next, less specific match"; a value
-- ends the search.
CREATE TABLE IF NOT EXISTS policy (
  id                  int unsigned NOT NULL AUTO_INCREMENT,
  policy_name         varchar(32),              -- a comment, not used
  virus_lover         char(1) DEFAULT NULL,     -- Y/N
  spam_lover          char(1) DEFAULT NULL,     -- Y/N
  unchecked_lover     char(1) DEFAULT NULL,     -- Y/N
  banned_files_lover  char(1) DEFAULT NULL,     -- Y/N
  bad_header_lover    char(1) DEFAULT NULL,     -- Y/N
  bypass_virus_checks  char(1) DEFAULT NULL,    -- Y/N
  bypass_spam_checks   char(1) DEFAULT NULL,    -- Y/N
  bypass_banned_checks char(1) DEFAULT NULL,    -- Y/N
  bypass_header_checks char(1) DEFAULT NULL,    -- Y/N
  virus_quarantine_to      varchar(64) DEFAULT NULL,
  spam_quarantine_to       varchar(64) DEFAULT NULL,
  banned_quarantine_to     varchar(64) DEFAULT NULL,
  unchecked_quarantine_to  varchar(64) DEFAULT NULL,
  bad_header_quarantine_to varchar(64) DEFAULT NULL,
  clean_quarantine_to      varchar(64) DEFAULT NULL,
  archive_quarantine_to    varchar(64) DEFAULT NULL,
  spam_tag_level      float DEFAULT NULL,       -- add spam info headers
  spam_tag2_level     float DEFAULT NULL,       -- spammy: mark as spam
  spam_tag3_level     float DEFAULT NULL,       -- blatant spam
  spam_kill_level     float DEFAULT NULL,       -- take the spam destiny
  spam_dsn_cutoff_level        float DEFAULT NULL, -- no bounce above
  spam_quarantine_cutoff_level float DEFAULT NULL, -- no quarantine above
  addr_extension_virus      varchar(64) DEFAULT NULL,
  addr_extension_spam       varchar(64) DEFAULT NULL,
  addr_extension_banned     varchar(64) DEFAULT NULL,
  addr_extension_bad_header varchar(64) DEFAULT NULL,
  warnvirusrecip      char(1)     DEFAULT NULL, -- Y/N
  warnbannedrecip     char(1)     DEFAULT NULL, -- Y/N
  warnbadhrecip       char(1)     DEFAULT NULL, -- Y/N
  newvirus_admin      varchar(64) DEFAULT NULL,
  virus_admin         varchar(64) DEFAULT NULL,
  banned_admin        varchar(64) DEFAULT NULL,
  bad_header_admin    varchar(64) DEFAULT NULL,
  spam_admin          varchar(64) DEFAULT NULL,
  spam_subject_tag    varchar(64) DEFAULT NULL,
  spam_subject_tag2   varchar(64) DEFAULT NULL,
  spam_subject_tag3   varchar(64) DEFAULT NULL,
  message_size_limit  int         DEFAULT NULL, -- bytes
  banned_rulenames    varchar(64) DEFAULT NULL, -- comma list of rule names
  disclaimer_options  varchar(64) DEFAULT NULL,
  forward_method      varchar(64) DEFAULT NULL, -- a per-recipient next hop
  sa_userconf         varchar(64) DEFAULT NULL,
  sa_username         varchar(64) DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- users: lookup keys of recipients (user+ext@sub.dom, user@sub.dom, user,
-- @sub.dom, @.sub.dom, @.dom, @.com, @. as catch-all), each with its
-- policy. The highest priority wins (searched ORDER BY priority DESC).
CREATE TABLE IF NOT EXISTS users (
  id         int unsigned NOT NULL AUTO_INCREMENT,
  priority   int          NOT NULL DEFAULT 7,   -- higher: more specific
  policy_id  int unsigned NOT NULL DEFAULT 1,   -- policy.id
  email      varbinary(255) NOT NULL,           -- the lookup key
  fullname   varchar(255) DEFAULT NULL,         -- not used
  PRIMARY KEY (id),
  UNIQUE KEY email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- mailaddr: sender keys for the white/blacklist (same key forms as users).
CREATE TABLE IF NOT EXISTS mailaddr (
  id         int unsigned NOT NULL AUTO_INCREMENT,
  priority   int          NOT NULL DEFAULT 7,   -- higher: more specific
  email      varbinary(255) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- wblist: per recipient (users.id), per sender (mailaddr.id):
--   W, Y, T: whitelisted;  B, N, F: blacklisted;
--   ' ' (a space): neutral, ends the search;
--   a number: a soft w/b-list score added to the spam level.
CREATE TABLE IF NOT EXISTS wblist (
  rid        int unsigned NOT NULL,             -- recipient: users.id
  sid        int unsigned NOT NULL,             -- sender: mailaddr.id
  wb         varchar(10)  NOT NULL,
  PRIMARY KEY (rid, sid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- ---------------------------------------------------------------------
-- Storage tables: the message log and the SQL quarantine (read-write,
-- amavisd-new's @storage_sql_dsn).
--
-- partition_tag is the ISO 8601 week number (1..53) of the UTC date on
-- which the message arrived. Every table is partitioned by it, one LIST
-- partition per week, p01 .. p53, all created here; `filterd-sql rotate`
-- empties the weeks that fell out of the retention window (ALTER TABLE
-- ... TRUNCATE PARTITION) before their number comes round again. A row
-- whose partition_tag is not 1..53 is refused ("Table has no partition
-- for value ..."): that is a bug in the writer, not data to keep.
--
-- MariaDB requires every unique key of a partitioned table, the primary
-- key included, to hold the partitioning column; and partitioned InnoDB
-- tables cannot have foreign keys (amavisd-new's are commented out in
-- its schema as well). Join on (partition_tag, mail_id), never on
-- mail_id alone.
-- ---------------------------------------------------------------------

-- maddr: the addresses of senders and recipients. Self-contained per
-- partition: the same address has a different id in every week, and
-- msgs.sid and msgrcpt.rid always point into their own week.
CREATE TABLE IF NOT EXISTS maddr (
  partition_tag int      NOT NULL DEFAULT 0,    -- ISO week, 1..53
  id         bigint unsigned NOT NULL AUTO_INCREMENT,
  email      varbinary(255)  NOT NULL,          -- the full address
  domain     varchar(255)    NOT NULL,          -- labels reversed: com.example
  PRIMARY KEY (id, partition_tag),
  UNIQUE KEY part_email (partition_tag, email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
PARTITION BY LIST (partition_tag) (
  PARTITION p01 VALUES IN (1),
  PARTITION p02 VALUES IN (2),
  PARTITION p03 VALUES IN (3),
  PARTITION p04 VALUES IN (4),
  PARTITION p05 VALUES IN (5),
  PARTITION p06 VALUES IN (6),
  PARTITION p07 VALUES IN (7),
  PARTITION p08 VALUES IN (8),
  PARTITION p09 VALUES IN (9),
  PARTITION p10 VALUES IN (10),
  PARTITION p11 VALUES IN (11),
  PARTITION p12 VALUES IN (12),
  PARTITION p13 VALUES IN (13),
  PARTITION p14 VALUES IN (14),
  PARTITION p15 VALUES IN (15),
  PARTITION p16 VALUES IN (16),
  PARTITION p17 VALUES IN (17),
  PARTITION p18 VALUES IN (18),
  PARTITION p19 VALUES IN (19),
  PARTITION p20 VALUES IN (20),
  PARTITION p21 VALUES IN (21),
  PARTITION p22 VALUES IN (22),
  PARTITION p23 VALUES IN (23),
  PARTITION p24 VALUES IN (24),
  PARTITION p25 VALUES IN (25),
  PARTITION p26 VALUES IN (26),
  PARTITION p27 VALUES IN (27),
  PARTITION p28 VALUES IN (28),
  PARTITION p29 VALUES IN (29),
  PARTITION p30 VALUES IN (30),
  PARTITION p31 VALUES IN (31),
  PARTITION p32 VALUES IN (32),
  PARTITION p33 VALUES IN (33),
  PARTITION p34 VALUES IN (34),
  PARTITION p35 VALUES IN (35),
  PARTITION p36 VALUES IN (36),
  PARTITION p37 VALUES IN (37),
  PARTITION p38 VALUES IN (38),
  PARTITION p39 VALUES IN (39),
  PARTITION p40 VALUES IN (40),
  PARTITION p41 VALUES IN (41),
  PARTITION p42 VALUES IN (42),
  PARTITION p43 VALUES IN (43),
  PARTITION p44 VALUES IN (44),
  PARTITION p45 VALUES IN (45),
  PARTITION p46 VALUES IN (46),
  PARTITION p47 VALUES IN (47),
  PARTITION p48 VALUES IN (48),
  PARTITION p49 VALUES IN (49),
  PARTITION p50 VALUES IN (50),
  PARTITION p51 VALUES IN (51),
  PARTITION p52 VALUES IN (52),
  PARTITION p53 VALUES IN (53)
);

-- msgs: one row per message, inserted when its mail_id is made (content
-- NULL: in progress) and completed when it is done.
CREATE TABLE IF NOT EXISTS msgs (
  partition_tag int      NOT NULL DEFAULT 0,    -- ISO week, 1..53
  mail_id     varbinary(16) NOT NULL,           -- long-term unique id
  secret_id   varbinary(16) DEFAULT '',         -- authorizes a release
  am_id       varchar(20)   NOT NULL,           -- the id in the log
  time_num    int unsigned  NOT NULL,           -- arrival, Unix time
  time_iso    char(16)      NOT NULL,           -- arrival, 20261123T141052Z
  sid         bigint unsigned NOT NULL,         -- sender: maddr.id
  policy      varchar(255)  DEFAULT '',         -- policy bank path
  client_addr varchar(255)  DEFAULT '',         -- SMTP client IP address
  size        int unsigned  NOT NULL,           -- bytes
  originating char(1) NOT NULL DEFAULT ' ',     -- Y/N: from inside or auth'd
  content     char(1),      -- V virus, B banned, U unchecked, S spam (kill),
                            -- Y spammy (tag2), M bad MIME, H bad header,
                            -- O oversized, T MTA error, C clean;
                            -- NULL while in progress
  quar_type   char(1),      -- quarantined: ' ' no, F file, Z zipped file,
                            -- B bsmtp, Q SQL, M mailbox, L local
  quar_loc    varbinary(255) DEFAULT '',        -- e.g. mail_id[pt] for SQL
  dsn_sent    char(1),                          -- Y/N/q (q: quenched)
  spam_level  float,
  message_id  varchar(255)  DEFAULT '',         -- Message-ID (pen pals)
  from_addr   varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
                           DEFAULT '',          -- From header, decoded
  subject     varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
                           DEFAULT '',          -- Subject header, decoded
  host        varchar(255)  NOT NULL,           -- the filterd host
  PRIMARY KEY (partition_tag, mail_id),
  KEY msgs_idx_sid (sid),
  KEY msgs_idx_mess_id (message_id),
  KEY msgs_idx_time_num (time_num)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
PARTITION BY LIST (partition_tag) (
  PARTITION p01 VALUES IN (1),
  PARTITION p02 VALUES IN (2),
  PARTITION p03 VALUES IN (3),
  PARTITION p04 VALUES IN (4),
  PARTITION p05 VALUES IN (5),
  PARTITION p06 VALUES IN (6),
  PARTITION p07 VALUES IN (7),
  PARTITION p08 VALUES IN (8),
  PARTITION p09 VALUES IN (9),
  PARTITION p10 VALUES IN (10),
  PARTITION p11 VALUES IN (11),
  PARTITION p12 VALUES IN (12),
  PARTITION p13 VALUES IN (13),
  PARTITION p14 VALUES IN (14),
  PARTITION p15 VALUES IN (15),
  PARTITION p16 VALUES IN (16),
  PARTITION p17 VALUES IN (17),
  PARTITION p18 VALUES IN (18),
  PARTITION p19 VALUES IN (19),
  PARTITION p20 VALUES IN (20),
  PARTITION p21 VALUES IN (21),
  PARTITION p22 VALUES IN (22),
  PARTITION p23 VALUES IN (23),
  PARTITION p24 VALUES IN (24),
  PARTITION p25 VALUES IN (25),
  PARTITION p26 VALUES IN (26),
  PARTITION p27 VALUES IN (27),
  PARTITION p28 VALUES IN (28),
  PARTITION p29 VALUES IN (29),
  PARTITION p30 VALUES IN (30),
  PARTITION p31 VALUES IN (31),
  PARTITION p32 VALUES IN (32),
  PARTITION p33 VALUES IN (33),
  PARTITION p34 VALUES IN (34),
  PARTITION p35 VALUES IN (35),
  PARTITION p36 VALUES IN (36),
  PARTITION p37 VALUES IN (37),
  PARTITION p38 VALUES IN (38),
  PARTITION p39 VALUES IN (39),
  PARTITION p40 VALUES IN (40),
  PARTITION p41 VALUES IN (41),
  PARTITION p42 VALUES IN (42),
  PARTITION p43 VALUES IN (43),
  PARTITION p44 VALUES IN (44),
  PARTITION p45 VALUES IN (45),
  PARTITION p46 VALUES IN (46),
  PARTITION p47 VALUES IN (47),
  PARTITION p48 VALUES IN (48),
  PARTITION p49 VALUES IN (49),
  PARTITION p50 VALUES IN (50),
  PARTITION p51 VALUES IN (51),
  PARTITION p52 VALUES IN (52),
  PARTITION p53 VALUES IN (53)
);

-- msgrcpt: one row per recipient of a message.
CREATE TABLE IF NOT EXISTS msgrcpt (
  partition_tag int      NOT NULL DEFAULT 0,    -- ISO week, 1..53
  mail_id    varbinary(16) NOT NULL,            -- msgs.mail_id
  rseqnum    int  NOT NULL DEFAULT 0,           -- position: 1..n
  rid        bigint unsigned NOT NULL,          -- recipient: maddr.id
  is_local   char(1)  NOT NULL DEFAULT ' ',     -- Y/N
  content    char(1)  NOT NULL DEFAULT ' ',     -- as msgs.content
  ds         char(1)  NOT NULL,                 -- delivery status: P pass,
                                                -- R reject, B bounce,
                                                -- D discard, T tempfail
  rs         char(1)  NOT NULL,                 -- release status: ' ' when
                                                -- written; front ends use
                                                -- V viewed, R released,
                                                -- p pending, D delete
  bl         char(1)  DEFAULT ' ',              -- Y: blacklisted sender
  wl         char(1)  DEFAULT ' ',              -- Y: whitelisted sender
  bspam_level float,                            -- per-recipient spam level
  smtp_resp  varchar(255)  DEFAULT '',          -- the reply for this rcpt
  PRIMARY KEY (partition_tag, mail_id, rseqnum),
  KEY msgrcpt_idx_rid (rid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
PARTITION BY LIST (partition_tag) (
  PARTITION p01 VALUES IN (1),
  PARTITION p02 VALUES IN (2),
  PARTITION p03 VALUES IN (3),
  PARTITION p04 VALUES IN (4),
  PARTITION p05 VALUES IN (5),
  PARTITION p06 VALUES IN (6),
  PARTITION p07 VALUES IN (7),
  PARTITION p08 VALUES IN (8),
  PARTITION p09 VALUES IN (9),
  PARTITION p10 VALUES IN (10),
  PARTITION p11 VALUES IN (11),
  PARTITION p12 VALUES IN (12),
  PARTITION p13 VALUES IN (13),
  PARTITION p14 VALUES IN (14),
  PARTITION p15 VALUES IN (15),
  PARTITION p16 VALUES IN (16),
  PARTITION p17 VALUES IN (17),
  PARTITION p18 VALUES IN (18),
  PARTITION p19 VALUES IN (19),
  PARTITION p20 VALUES IN (20),
  PARTITION p21 VALUES IN (21),
  PARTITION p22 VALUES IN (22),
  PARTITION p23 VALUES IN (23),
  PARTITION p24 VALUES IN (24),
  PARTITION p25 VALUES IN (25),
  PARTITION p26 VALUES IN (26),
  PARTITION p27 VALUES IN (27),
  PARTITION p28 VALUES IN (28),
  PARTITION p29 VALUES IN (29),
  PARTITION p30 VALUES IN (30),
  PARTITION p31 VALUES IN (31),
  PARTITION p32 VALUES IN (32),
  PARTITION p33 VALUES IN (33),
  PARTITION p34 VALUES IN (34),
  PARTITION p35 VALUES IN (35),
  PARTITION p36 VALUES IN (36),
  PARTITION p37 VALUES IN (37),
  PARTITION p38 VALUES IN (38),
  PARTITION p39 VALUES IN (39),
  PARTITION p40 VALUES IN (40),
  PARTITION p41 VALUES IN (41),
  PARTITION p42 VALUES IN (42),
  PARTITION p43 VALUES IN (43),
  PARTITION p44 VALUES IN (44),
  PARTITION p45 VALUES IN (45),
  PARTITION p46 VALUES IN (46),
  PARTITION p47 VALUES IN (47),
  PARTITION p48 VALUES IN (48),
  PARTITION p49 VALUES IN (49),
  PARTITION p50 VALUES IN (50),
  PARTITION p51 VALUES IN (51),
  PARTITION p52 VALUES IN (52),
  PARTITION p53 VALUES IN (53)
);

-- quarantine: the quarantined message, in chunks of at most 16384 bytes,
-- read back ORDER BY chunk_ind.
CREATE TABLE IF NOT EXISTS quarantine (
  partition_tag int      NOT NULL DEFAULT 0,    -- ISO week, 1..53
  mail_id    varbinary(16) NOT NULL,            -- msgs.mail_id
  chunk_ind  int unsigned  NOT NULL,            -- 1, 2, ...
  mail_text  blob          NOT NULL,
  PRIMARY KEY (partition_tag, mail_id, chunk_ind)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
PARTITION BY LIST (partition_tag) (
  PARTITION p01 VALUES IN (1),
  PARTITION p02 VALUES IN (2),
  PARTITION p03 VALUES IN (3),
  PARTITION p04 VALUES IN (4),
  PARTITION p05 VALUES IN (5),
  PARTITION p06 VALUES IN (6),
  PARTITION p07 VALUES IN (7),
  PARTITION p08 VALUES IN (8),
  PARTITION p09 VALUES IN (9),
  PARTITION p10 VALUES IN (10),
  PARTITION p11 VALUES IN (11),
  PARTITION p12 VALUES IN (12),
  PARTITION p13 VALUES IN (13),
  PARTITION p14 VALUES IN (14),
  PARTITION p15 VALUES IN (15),
  PARTITION p16 VALUES IN (16),
  PARTITION p17 VALUES IN (17),
  PARTITION p18 VALUES IN (18),
  PARTITION p19 VALUES IN (19),
  PARTITION p20 VALUES IN (20),
  PARTITION p21 VALUES IN (21),
  PARTITION p22 VALUES IN (22),
  PARTITION p23 VALUES IN (23),
  PARTITION p24 VALUES IN (24),
  PARTITION p25 VALUES IN (25),
  PARTITION p26 VALUES IN (26),
  PARTITION p27 VALUES IN (27),
  PARTITION p28 VALUES IN (28),
  PARTITION p29 VALUES IN (29),
  PARTITION p30 VALUES IN (30),
  PARTITION p31 VALUES IN (31),
  PARTITION p32 VALUES IN (32),
  PARTITION p33 VALUES IN (33),
  PARTITION p34 VALUES IN (34),
  PARTITION p35 VALUES IN (35),
  PARTITION p36 VALUES IN (36),
  PARTITION p37 VALUES IN (37),
  PARTITION p38 VALUES IN (38),
  PARTITION p39 VALUES IN (39),
  PARTITION p40 VALUES IN (40),
  PARTITION p41 VALUES IN (41),
  PARTITION p42 VALUES IN (42),
  PARTITION p43 VALUES IN (43),
  PARTITION p44 VALUES IN (44),
  PARTITION p45 VALUES IN (45),
  PARTITION p46 VALUES IN (46),
  PARTITION p47 VALUES IN (47),
  PARTITION p48 VALUES IN (48),
  PARTITION p49 VALUES IN (49),
  PARTITION p50 VALUES IN (50),
  PARTITION p51 VALUES IN (51),
  PARTITION p52 VALUES IN (52),
  PARTITION p53 VALUES IN (53)
);

-- ---------------------------------------------------------------------
-- The schema's version: one row, the number of the last migration in
-- sql/mysql/migrations/ applied. Each migration ends by recording its
-- own number, so applying the files by hand with the mariadb client
-- leaves the same mark as `filterd-sql init`.
-- ---------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS filterd_schema_version (
  id         tinyint unsigned NOT NULL DEFAULT 1,
  version    int unsigned NOT NULL,
  applied_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
             ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  CONSTRAINT filterd_schema_version_one_row CHECK (id = 1)
) ENGINE=InnoDB;

INSERT IGNORE INTO filterd_schema_version (id, version) VALUES (1, 1);

-- ---------------------------------------------------------------------
-- 0002: the lock that filterd-sql init and rotate take turns with, as a
-- row that a Galera cluster replicates (GET_LOCK() is local to one
-- Galera node). A run sets holder and expires (Unix time) with one
-- autocommitted UPDATE where holder is NULL, renews expires as it goes
-- and sets holder back to NULL when done. A waiter takes over a row
-- that has not changed for 15 minutes by its own clock (never comparing
-- expires with its node's clock), or at once a holder of its own host
-- whose pid is gone (sql/README.md, "Running it on several nodes").
-- ---------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS filterd_lock (
  name    varchar(64) NOT NULL,
  holder  varchar(255) DEFAULT NULL,
  expires bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT IGNORE INTO filterd_lock (name) VALUES ('filterd-sql');

UPDATE filterd_schema_version SET version = 2 WHERE id = 1 AND version < 2;
