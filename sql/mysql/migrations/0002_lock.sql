-- 0002_lock.sql - the lock that filterd-sql init and rotate take turns
-- with, as a row that a Galera cluster replicates (GET_LOCK() is local
-- to one Galera node, so it does not serialise runs on two nodes).
--
-- A run takes the lock with one autocommitted UPDATE that sets holder
-- and expires (Unix time) where holder is NULL, and holds it while the
-- row says so; it renews expires as it goes and sets holder back to NULL
-- when done. Two nodes taking it at the same moment: Galera certifies
-- one UPDATE and fails the other (error 1213), which then waits like a
-- run that found the row taken. A waiter takes over a row that has not
-- changed for 15 minutes by its own clock, or at once a holder of its
-- own host whose pid is gone (filterd-sql, sql/README.md).
-- filterd-sql init creates this table (with this very statement) before
-- it takes the lock, so that it can serialise its own migrations.
CREATE TABLE IF NOT EXISTS filterd_lock (
  name    varchar(64) NOT NULL,
  holder  varchar(255) DEFAULT NULL,
  expires bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT IGNORE INTO filterd_lock (name) VALUES ('filterd-sql');

UPDATE filterd_schema_version SET version = 2 WHERE id = 1 AND version < 2;
